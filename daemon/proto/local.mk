# The wire codec: frames, messages, CQL types and values. No I/O.
noinst_LIBRARIES += daemon/proto/libcqlproto.a
daemon_proto_libcqlproto_a_SOURCES = \
	daemon/proto/buf.h daemon/proto/buf.c \
	daemon/proto/frame.h daemon/proto/frame.c \
	daemon/proto/cqltype.h daemon/proto/cqltype.c \
	daemon/proto/cqlval.h daemon/proto/cqlval.c daemon/proto/cqlval-text.c \
	daemon/proto/msg.h daemon/proto/msg.c
