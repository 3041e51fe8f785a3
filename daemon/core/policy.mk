# daemon/core: load-balancing, retry and speculative-execution policies
