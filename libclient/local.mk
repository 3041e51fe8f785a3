# libclient: libcqlproxy and the cqlproxy command
