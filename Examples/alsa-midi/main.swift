import AlsaTools

await AlsaMIDI.runAsMain()
