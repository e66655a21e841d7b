// JVPStore
