print("certsim")
