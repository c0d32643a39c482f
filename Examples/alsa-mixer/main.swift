import AlsaTools

await AlsaMixer.runAsMain()
