print("jvplab")
