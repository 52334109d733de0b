/*
 * The bar series: a growable array with sort, de-duplicate and clip.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <marketfs/series.h>

void mfs_series_init(struct mfs_series *s, enum mfs_tf tf)
{
	memset(s, 0, sizeof(*s));
	s->tf = tf;
}

void mfs_series_free(struct mfs_series *s)
{
	enum mfs_tf tf = s->tf;

	free(s->bars);
	free(s->null_t);
	mfs_series_init(s, tf);
}

static int reserve(struct mfs_series *s, size_t want)
{
	if (want <= s->cap)
		return 0;
	size_t cap = s->cap ? s->cap : 256;
	while (cap < want) {
		if (cap > SIZE_MAX / 2 / sizeof(struct mfs_bar))
			return -1;
		cap *= 2;
	}
	struct mfs_bar *nb = realloc(s->bars, cap * sizeof(*nb));
	if (!nb)
		return -1;
	s->bars = nb;
	s->cap = cap;
	return 0;
}

int mfs_series_append(struct mfs_series *s, const struct mfs_bar *b)
{
	struct mfs_bar copy = *b; /* b may point into s->bars, which may move */

	if (reserve(s, s->n + 1) < 0)
		return -1;
	s->bars[s->n++] = copy;
	return 0;
}

int mfs_series_add_null(struct mfs_series *s, int64_t t)
{
	if (s->null_rows == s->null_cap) {
		size_t cap = s->null_cap ? s->null_cap * 2 : 16;
		int64_t *nt = realloc(s->null_t, cap * sizeof(*nt));
		if (!nt)
			return -1;
		s->null_t = nt;
		s->null_cap = cap;
	}
	s->null_t[s->null_rows++] = t;
	return 0;
}

int mfs_series_extend(struct mfs_series *s, const struct mfs_series *src)
{
	if (src->n == 0)
		return 0;
	if (reserve(s, s->n + src->n) < 0)
		return -1;
	memcpy(s->bars + s->n, src->bars, src->n * sizeof(*src->bars));
	s->n += src->n;
	return 0;
}

/*
 * Stable merge sort by t: among equal time stamps the original (append)
 * order survives, so "last appended wins" is well defined.
 */
static void merge_sort(struct mfs_bar *a, struct mfs_bar *tmp, size_t n)
{
	if (n < 2)
		return;
	size_t h = n / 2;
	merge_sort(a, tmp, h);
	merge_sort(a + h, tmp, n - h);
	if (a[h - 1].t <= a[h].t)
		return; /* already in order: the common case for provider data */
	size_t i = 0, j = h, k = 0;
	while (i < h && j < n)
		tmp[k++] = (a[j].t < a[i].t) ? a[j++] : a[i++];
	while (i < h)
		tmp[k++] = a[i++];
	while (j < n)
		tmp[k++] = a[j++];
	memcpy(a, tmp, n * sizeof(*a));
}

size_t mfs_series_sort_dedup(struct mfs_series *s)
{
	if (s->n < 2)
		return 0;
	struct mfs_bar *tmp = malloc(s->n * sizeof(*tmp));
	if (tmp) {
		merge_sort(s->bars, tmp, s->n);
		free(tmp);
	} else {
		/* insertion sort: stable, no memory, slow only for disorder */
		for (size_t i = 1; i < s->n; i++) {
			struct mfs_bar b = s->bars[i];
			size_t j = i;
			while (j > 0 && s->bars[j - 1].t > b.t) {
				s->bars[j] = s->bars[j - 1];
				j--;
			}
			s->bars[j] = b;
		}
	}
	size_t w = 0, dups = 0;
	for (size_t i = 0; i < s->n; i++) {
		if (w > 0 && s->bars[w - 1].t == s->bars[i].t) {
			s->bars[w - 1] = s->bars[i]; /* last wins */
			dups++;
		} else {
			s->bars[w++] = s->bars[i];
		}
	}
	s->n = w;
	return dups;
}

void mfs_series_clip(struct mfs_series *s, int64_t lo, int64_t hi)
{
	size_t w = 0;
	for (size_t i = 0; i < s->n; i++)
		if (s->bars[i].t >= lo && s->bars[i].t < hi)
			s->bars[w++] = s->bars[i];
	s->n = w;
}

struct mfs_bar mfs_bar_empty(void)
{
	struct mfs_bar b = { 0, NAN, NAN, NAN, NAN, NAN, NAN };
	return b;
}
