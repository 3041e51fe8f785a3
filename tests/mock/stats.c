/*
 * stats.c: per-node counters the control socket reports: requests by
 * opcode, and whether statements reached a replica of their partition.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "util.h"
#include "frame.h"
#include "mock.h"

void
stats_reset(struct node_stats *st)
{
	memset(st, 0, sizeof *st);
}

/* The counters as a JSON object; opcodes never seen are left out. */
json_t *
stats_json(const struct node_stats *st)
{
	json_t	*o, *ops;
	size_t	 i;
	char	 name[32];

	ops = json_object();
	for (i = 0; i < nitems(st->ops); i++) {
		if (st->ops[i] == 0)
			continue;
		if (strcmp(opcode_name(i), "UNKNOWN") == 0)
			snprintf(name, sizeof name, "0x%02zx", i);
		else
			snprintf(name, sizeof name, "%s", opcode_name(i));
		json_object_set_new(ops, name, json_integer(st->ops[i]));
	}
	o = json_object();
	json_object_set_new(o, "requests", ops);
	json_object_set_new(o, "replica", json_integer(st->replica));
	json_object_set_new(o, "non_replica", json_integer(st->non_replica));
	json_object_set_new(o, "no_partition",
	    json_integer(st->no_partition));
	json_object_set_new(o, "faults", json_integer(st->faults));
	json_object_set_new(o, "delayed", json_integer(st->delayed));
	json_object_set_new(o, "protocol_errors",
	    json_integer(st->protocol_errors));
	json_object_set_new(o, "connections", json_integer(st->connections));
	return (o);
}
