import AlsaTools

AlsaPlay.main()
