import AlsaTools

AlsaInfo.main()
