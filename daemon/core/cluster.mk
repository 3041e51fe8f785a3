# daemon/core: cluster, control connection, requests
