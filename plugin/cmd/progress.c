/*
 * progress.c: Git's progress display (progress.h).
 */
#include "plugin/cmd/progress.h"
#include "plugin/util/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The clock is read once per this many updates: updates come per record. */
#define CLOCK_EVERY 1024

bool progress_option(struct progress_opt *o, const char *arg)
{
	if (!strcmp(arg, "--progress"))
		o->want = 1;
	else if (!strcmp(arg, "--no-progress"))
		o->want = 0;
	else
		return false;
	return true;
}

/* Seconds on the monotonic clock. */
#define NOW_S() (clock_ms() / 1e3)

void progress_init(struct progress *p, const struct progress_opt *o)
{
	const char *delay = getenv("GIT_PROGRESS_DELAY");
	char *end;

	memset(p, 0, sizeof(*p));
	p->enabled = o->want > 0 || (o->want < 0 && isatty(2));
	p->delay = 2;
	if (delay && *delay) {
		double d = strtod(delay, &end);

		if (!*end && d >= 0)
			p->delay = d;
	}
}

static void draw(struct progress *p, const char *end)
{
	if (p->total)
		fprintf(stderr, "%s: %3u%% (%llu/%llu)%s", p->title, p->percent,
			(unsigned long long)p->done,
			(unsigned long long)p->total, end);
	else
		fprintf(stderr, "%s: %llu%s", p->title,
			(unsigned long long)p->done, end);
	fflush(stderr);
}

void progress_stop(struct progress *p)
{
	/* One that lasted the delay between two looks at the clock too. */
	if (p->shown || (p->title && NOW_S() - p->start >= p->delay))
		draw(p, ", done.\n");
	p->shown = false;
	p->title = NULL;
}

void progress_update(struct progress *p, const char *title, uint64_t done,
		     uint64_t total)
{
	unsigned percent;
	bool moved;
	double t;

	if (!p->enabled)
		return;
	if (title != p->title) {
		progress_stop(p);
		p->title = title;
		p->start = NOW_S();
		p->checked = 0;
		p->percent = 0;
	}
	p->done = done;
	p->total = total;
	percent = total ? (unsigned)(done * 100 / total) : 0;
	moved = percent != p->percent || done == total;
	p->percent = percent;
	/* Redraw when the percentage moves, else at most once a second. */
	if (!moved && done - p->checked < CLOCK_EVERY)
		return;
	p->checked = done;
	t = NOW_S();
	if (!p->shown && t - p->start < p->delay)
		return;
	if (p->shown && !moved && t - p->drawn < 1)
		return;
	p->shown = true;
	p->drawn = t;
	draw(p, "\r");
}

void progress_callback(void *arg, const char *title, uint64_t done,
		       uint64_t total)
{
	progress_update(arg, title, done, total);
}
