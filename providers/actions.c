/*
 * Corporate actions carried by a fetch result (struct mfs_action).
 */
#include <stdlib.h>

#include <marketfs/provider.h>

int mfs_fetch_result_add_action(struct mfs_fetch_result *res, int64_t t,
				enum mfs_action_type type, double value)
{
	if (res->n_actions == res->cap_actions) {
		size_t cap = res->cap_actions ? res->cap_actions * 2 : 16;
		struct mfs_action *a = realloc(res->actions, cap * sizeof(*a));

		if (!a)
			return -1;
		res->actions = a;
		res->cap_actions = cap;
	}
	res->actions[res->n_actions++] = (struct mfs_action){ .t = t, .type = type, .value = value };
	return 0;
}
