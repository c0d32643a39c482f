import AlsaTools

AlsaTone.main()
