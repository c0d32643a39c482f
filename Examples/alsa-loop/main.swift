import AlsaTools

AlsaLoop.main()
