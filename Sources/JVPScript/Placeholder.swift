// JVPScript
