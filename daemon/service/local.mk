# daemon/service: the local service
