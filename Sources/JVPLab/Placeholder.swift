// JVPLab
