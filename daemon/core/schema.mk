# daemon/core: schema metadata
