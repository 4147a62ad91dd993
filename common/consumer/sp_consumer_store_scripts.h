/*  sp_consumer_store_scripts - the Lua sources of the consumer store's
    scripts (sp_consumer_store.c loads and runs them): the all-or-nothing
    apply of a step with its checkpoint, the fenced delete of a
    partition's keys, the fenced start of a rebuilt partition and its
    restamp. Each source's comment (sp_consumer_store_scripts.c) gives its
    KEYS, ARGV and replies. Kept apart from the store's C so that each
    file holds one thing.
*/
#ifndef SP_CONSUMER_STORE_SCRIPTS_H_INCLUDED
#define SP_CONSUMER_STORE_SCRIPTS_H_INCLUDED

extern const char sp_consumer_store_apply_source[];
extern const char sp_consumer_store_delete_source[];
extern const char sp_consumer_store_start_source[];
extern const char sp_consumer_store_restamp_source[];

#endif
