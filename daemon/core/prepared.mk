# daemon/core: prepared statements and tracing
