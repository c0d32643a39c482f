import AlsaTools

AlsaRecord.main()
