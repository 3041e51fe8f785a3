# daemon/core: connections, hosts, pools
