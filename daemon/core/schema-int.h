/*
 * schema-int.h: what schema.c (snapshots) and schema-rows.c (reading
 * system_schema rows into drafts) share. Not for other files.
 */
#ifndef CQLP_SCHEMA_INT_H
#define CQLP_SCHEMA_INT_H

#include <stddef.h>

struct schema_load;

/* schema.c: references, freeing and copying of the metadata objects. */
void	 schema_obj_ref(unsigned int *);
int	 schema_obj_unref(unsigned int *);
void	 schema_options_clear(struct schema_options *);
void	 schema_options_copy(struct schema_options *,
	     const struct schema_options *);
void	 schema_strv_free(char **, size_t);
char	**schema_strv_dup(char *const *, size_t);
char	*schema_strdup(const char *);
void	 schema_column_clear(struct column_meta *);
void	 schema_table_unref(struct table_meta *);
void	 schema_type_unref(struct type_meta *);
void	 schema_function_unref(struct function_meta *);
void	 schema_aggregate_unref(struct aggregate_meta *);
void	 schema_ks_unref(struct ks_meta *);
int	 schema_type_text_eq(const char *, const char *);

/*
 * schema-rows.c: the drafts of a load. Drafts of one source are sorted
 * (schema_load_sort) by keyspace, then name (keyspaces by name; functions
 * and aggregates then by signature); a range is every draft of a keyspace
 * (ks NULL: all) and, when name is not NULL, of that name.
 */
unsigned int schema_load_fed(const struct schema_load *);
int	 schema_load_has(const struct schema_load *, unsigned int src);
void	 schema_load_sort(struct schema_load *);
void	 schema_load_range(struct schema_load *, unsigned int src,
	     const char *ks, const char *name, size_t *lo, size_t *hi);
/* The draft (struct ks_meta, type_meta, function_meta, aggregate_meta). */
void	*schema_load_get(struct schema_load *, unsigned int src, size_t);
/*
 * The same with a new reference for the caller (each of those structs
 * starts with its reference count).
 */
void	*schema_load_take(struct schema_load *, unsigned int src, size_t);
/* A new table or view from a draft with its columns, indexes, triggers. */
struct table_meta *schema_load_build_table(struct schema_load *,
	     unsigned int src, size_t);

#endif
