/*
 * record.c: keys and value encodings of ref, log, obj and index records.
 *
 * Decoding treats its input as untrusted: every length is checked against
 * the bytes that remain before anything is read or copied.
 */
#include "lib/record.h"

#include <stdlib.h>
#include <string.h>

void rt_record_init(struct rt_record *rec, uint8_t type)
{
	memset(rec, 0, sizeof(*rec));
	rec->type = type;
}

void rt_ref_record_release(struct rt_ref_record *ref)
{
	rt_buf_release(&ref->refname);
	rt_buf_release(&ref->target);
	memset(ref, 0, sizeof(*ref));
}

void rt_log_record_release(struct rt_log_record *log)
{
	rt_buf_release(&log->refname);
	rt_buf_release(&log->name);
	rt_buf_release(&log->email);
	rt_buf_release(&log->message);
	memset(log, 0, sizeof(*log));
}

void rt_record_release(struct rt_record *rec)
{
	switch (rec->type) {
	case RT_BLOCK_REF:
		rt_ref_record_release(&rec->u.ref);
		break;
	case RT_BLOCK_LOG:
		rt_log_record_release(&rec->u.log);
		break;
	case RT_BLOCK_OBJ:
		rt_buf_release(&rec->u.obj.prefix);
		free(rec->u.obj.offsets);
		break;
	case RT_BLOCK_INDEX:
		rt_buf_release(&rec->u.idx.last_key);
		break;
	}
	rt_record_init(rec, rec->type);
}

static int obj_reserve(struct rt_obj_record *obj, size_t n)
{
	uint64_t *p;

	if (n <= obj->offset_cap)
		return 0;
	if (n > SIZE_MAX / sizeof(*p))
		return RT_ERR_NOMEM;
	p = realloc(obj->offsets, n * sizeof(*p));
	if (!p)
		return RT_ERR_NOMEM;
	obj->offsets = p;
	obj->offset_cap = n;
	return 0;
}

int rt_log_key(struct rt_buf *key, const char *refname, size_t refname_len,
	       uint64_t update_index)
{
	uint8_t be[8];
	int ret;

	rt_buf_reset(key);
	ret = rt_buf_add(key, refname, refname_len);
	if (!ret)
		ret = rt_buf_addch(key, '\0');
	rt_put_be64(be, UINT64_MAX - update_index);
	if (!ret)
		ret = rt_buf_add(key, be, sizeof(be));
	return ret;
}

uint64_t rt_log_key_update_index(const struct rt_buf *key)
{
	return UINT64_MAX -
	       rt_get_be64((const uint8_t *)key->buf + key->len - 8);
}

size_t rt_record_held(const struct rt_record *rec)
{
	switch (rec->type) {
	case RT_BLOCK_REF:
		return rec->u.ref.refname.cap + rec->u.ref.target.cap;
	case RT_BLOCK_LOG:
		return rec->u.log.refname.cap + rec->u.log.name.cap +
		       rec->u.log.email.cap + rec->u.log.message.cap;
	case RT_BLOCK_OBJ:
		return rec->u.obj.prefix.cap +
		       rec->u.obj.offset_cap * sizeof(*rec->u.obj.offsets);
	case RT_BLOCK_INDEX:
		return rec->u.idx.last_key.cap;
	}
	return 0;
}

int rt_record_key(const struct rt_record *rec, struct rt_buf *key)
{
	switch (rec->type) {
	case RT_BLOCK_REF:
		return rt_buf_set(key, rec->u.ref.refname.buf,
				  rec->u.ref.refname.len);
	case RT_BLOCK_LOG:
		return rt_log_key(key, rec->u.log.refname.buf,
				  rec->u.log.refname.len,
				  rec->u.log.update_index);
	case RT_BLOCK_OBJ:
		return rt_buf_set(key, rec->u.obj.prefix.buf,
				  rec->u.obj.prefix.len);
	case RT_BLOCK_INDEX:
		return rt_buf_set(key, rec->u.idx.last_key.buf,
				  rec->u.idx.last_key.len);
	}
	return RT_ERR_API;
}

uint8_t rt_record_val_type(const struct rt_record *rec)
{
	switch (rec->type) {
	case RT_BLOCK_REF:
		return rec->u.ref.value_type;
	case RT_BLOCK_LOG:
		return rec->u.log.value_type;
	case RT_BLOCK_OBJ:
		/* Counts of 1-7 ride in the value type; larger ones follow. */
		return rec->u.obj.offset_len > 0 && rec->u.obj.offset_len < 8 ?
			       (uint8_t)rec->u.obj.offset_len :
			       0;
	}
	return 0;
}

bool rt_record_is_deletion(const struct rt_record *rec)
{
	switch (rec->type) {
	case RT_BLOCK_REF:
		return rec->u.ref.value_type == RT_REF_DELETION;
	case RT_BLOCK_LOG:
		return rec->u.log.value_type == RT_LOG_DELETION;
	}
	return false;
}

static int put_varint(struct rt_buf *out, uint64_t v)
{
	uint8_t tmp[RT_MAX_VARINT_LEN];

	return rt_buf_add(out, tmp, rt_varint_put(tmp, v));
}

static int put_string(struct rt_buf *out, const struct rt_buf *s)
{
	int ret = put_varint(out, s->len);

	return ret ? ret : rt_buf_add(out, s->buf, s->len);
}

int rt_record_encode_value(const struct rt_record *rec, struct rt_buf *out,
			   int hash_size, uint64_t min_update_index)
{
	int ret = 0;

	switch (rec->type) {
	case RT_BLOCK_REF: {
		const struct rt_ref_record *r = &rec->u.ref;

		if (r->update_index < min_update_index)
			return RT_ERR_API;
		ret = put_varint(out, r->update_index - min_update_index);
		if (ret)
			return ret;
		switch (r->value_type) {
		case RT_REF_DELETION:
			return 0;
		case RT_REF_VAL1:
			return rt_buf_add(out, r->value, hash_size);
		case RT_REF_VAL2:
			ret = rt_buf_add(out, r->value, hash_size);
			return ret ? ret :
				     rt_buf_add(out, r->peeled, hash_size);
		case RT_REF_SYMREF:
			return put_string(out, &r->target);
		}
		return RT_ERR_API;
	}
	case RT_BLOCK_LOG: {
		const struct rt_log_record *l = &rec->u.log;
		uint8_t tz[2];

		if (l->value_type == RT_LOG_DELETION)
			return 0;
		if (l->value_type != RT_LOG_UPDATE)
			return RT_ERR_API;
		rt_put_be16(tz, (uint16_t)l->tz_offset);
		if ((ret = rt_buf_add(out, l->old_id, hash_size)) ||
		    (ret = rt_buf_add(out, l->new_id, hash_size)) ||
		    (ret = put_string(out, &l->name)) ||
		    (ret = put_string(out, &l->email)) ||
		    (ret = put_varint(out, l->time)) ||
		    (ret = rt_buf_add(out, tz, 2)) ||
		    (ret = put_string(out, &l->message)))
			return ret;
		return 0;
	}
	case RT_BLOCK_OBJ: {
		const struct rt_obj_record *o = &rec->u.obj;
		uint64_t prev = 0;

		if (o->offset_len == 0 || o->offset_len >= 8)
			ret = put_varint(out, o->offset_len);
		for (size_t i = 0; !ret && i < o->offset_len; i++) {
			ret = put_varint(out, o->offsets[i] - prev);
			prev = o->offsets[i];
		}
		return ret;
	}
	case RT_BLOCK_INDEX:
		return put_varint(out, rec->u.idx.offset);
	}
	return RT_ERR_API;
}

int rt_record_encode_key(const struct rt_buf *key, size_t prefix,
			 uint8_t val_type, struct rt_buf *out)
{
	uint64_t sfx = (uint64_t)(key->len - prefix) << 3 | val_type;
	int ret;

	if ((ret = put_varint(out, prefix)) || (ret = put_varint(out, sfx)))
		return ret;
	return rt_buf_add(out, key->buf + prefix, key->len - prefix);
}

int rt_record_encode(const struct rt_record *rec, const struct rt_buf *key,
		     size_t prefix, struct rt_buf *out, int hash_size,
		     uint64_t min_update_index)
{
	int ret =
		rt_record_encode_key(key, prefix, rt_record_val_type(rec), out);

	return ret ? ret :
		     rt_record_encode_value(rec, out, hash_size,
					    min_update_index);
}

#define VALUE_PAST_END "value runs past the end of the block"
#define STRING_PAST_END "string length runs past the end of the block"

/* A cursor over untrusted value bytes. */
struct cursor {
	const uint8_t *p;
	size_t left;
	/* What was malformed; left NULL when memory ran out. */
	const char *why;
};

static int take_varint(struct cursor *c, uint64_t *v)
{
	int n = rt_varint_get(v, c->p, c->left);

	if (n < 0) {
		c->why = "malformed varint";
		return -1;
	}
	c->p += n;
	c->left -= n;
	return 0;
}

/* Step over `n` bytes, *s where they lie; `why` when they run past. */
static int step_bytes(struct cursor *c, const uint8_t **s, uint64_t n,
		      const char *why)
{
	if (n > c->left) {
		c->why = why;
		return -1;
	}
	*s = c->p;
	c->p += n;
	c->left -= n;
	return 0;
}

/* Step over a counted string: *s and *n say where it lies. */
static int step_string(struct cursor *c, const uint8_t **s, uint64_t *n)
{
	if (take_varint(c, n))
		return -1;
	return step_bytes(c, s, *n, STRING_PAST_END);
}

/*
 * Step over the value of the ref `key` (its name), of type `val_type`,
 * checked: its update index as stored (*delta), and where its payload
 * lies (*data, *n bytes: the ids, hash_size bytes each, or the symref
 * target).
 */
static int take_ref_value(struct cursor *c, const struct rt_buf *key,
			  uint8_t val_type, int hash_size,
			  uint64_t min_update_index, uint64_t *delta,
			  const uint8_t **data, size_t *n)
{
	uint64_t len = 0;
	const char *why;

	if (memchr(key->buf, '\0', key->len)) {
		c->why = "ref name contains a NUL byte";
		return -1;
	}
	if (take_varint(c, delta))
		return -1;
	if (*delta > UINT64_MAX - min_update_index) {
		c->why = "update index overflows";
		return -1;
	}
	switch (val_type) {
	case RT_REF_DELETION:
	case RT_REF_VAL1:
	case RT_REF_VAL2:
		len = (uint64_t)hash_size * val_type;
		why = VALUE_PAST_END;
		break;
	case RT_REF_SYMREF:
		if (take_varint(c, &len))
			return -1;
		why = STRING_PAST_END;
		break;
	default:
		c->why = "reserved ref value type";
		return -1;
	}
	if (step_bytes(c, data, len, why))
		return -1;
	*n = (size_t)len;
	return 0;
}

static int decode_ref(struct rt_ref_record *r, const struct rt_buf *key,
		      uint8_t val_type, struct cursor *c, int hash_size,
		      uint64_t min_update_index)
{
	const uint8_t *data;
	uint64_t delta;
	size_t n;

	if (take_ref_value(c, key, val_type, hash_size, min_update_index,
			   &delta, &data, &n) ||
	    rt_buf_set(&r->refname, key->buf, key->len))
		return -1;
	r->update_index = min_update_index + delta;
	r->value_type = val_type;
	rt_buf_reset(&r->target);
	if (val_type == RT_REF_VAL1 || val_type == RT_REF_VAL2)
		memcpy(r->value, data, hash_size);
	if (val_type == RT_REF_VAL2)
		memcpy(r->peeled, data + hash_size, hash_size);
	if (val_type == RT_REF_SYMREF && rt_buf_set(&r->target, data, n))
		return -1;
	return 0;
}

int rt_ref_value_len(const struct rt_buf *key, uint8_t val_type,
		     const uint8_t *in, size_t len, int hash_size,
		     uint64_t min_update_index, const uint8_t **ids,
		     const char **why)
{
	struct cursor c = { .p = in, .left = len };
	const uint8_t *data;
	uint64_t delta;
	size_t n;

	if (take_ref_value(&c, key, val_type, hash_size, min_update_index,
			   &delta, &data, &n)) {
		*why = c.why;
		return -1;
	}
	*ids = val_type == RT_REF_VAL1 || val_type == RT_REF_VAL2 ? data : NULL;
	return (int)(len - c.left);
}

/* The fields of a log update's value, pointing into the block. */
struct log_fields {
	const uint8_t *old_id, *new_id, *tz;
	const uint8_t *name, *email, *message;
	uint64_t name_len, email_len, message_len, time;
};

/*
 * Step over the value of the log `key`, of type `val_type`, checked: the
 * key's form and the value's lengths. An update's fields are left in *f.
 */
static int take_log_value(struct cursor *c, const struct rt_buf *key,
			  uint8_t val_type, int hash_size, struct log_fields *f)
{
	if (key->len < 9 || key->buf[key->len - 9] != '\0' ||
	    memchr(key->buf, '\0', key->len - 9)) {
		c->why = "malformed log key";
		return -1;
	}
	if (val_type == RT_LOG_DELETION)
		return 0;
	if (val_type != RT_LOG_UPDATE) {
		c->why = "unknown log value type";
		return -1;
	}
	if (step_bytes(c, &f->old_id, hash_size, VALUE_PAST_END) ||
	    step_bytes(c, &f->new_id, hash_size, VALUE_PAST_END) ||
	    step_string(c, &f->name, &f->name_len) ||
	    step_string(c, &f->email, &f->email_len) ||
	    take_varint(c, &f->time) ||
	    step_bytes(c, &f->tz, 2, VALUE_PAST_END) ||
	    step_string(c, &f->message, &f->message_len))
		return -1;
	return 0;
}

static int decode_log(struct rt_log_record *l, const struct rt_buf *key,
		      uint8_t val_type, struct cursor *c, int hash_size)
{
	struct log_fields f;

	if (take_log_value(c, key, val_type, hash_size, &f) ||
	    rt_buf_set(&l->refname, key->buf, key->len - 9))
		return -1;
	l->update_index = rt_log_key_update_index(key);
	l->value_type = val_type;
	if (val_type == RT_LOG_DELETION) {
		rt_buf_reset(&l->name);
		rt_buf_reset(&l->email);
		rt_buf_reset(&l->message);
		memset(l->old_id, 0, sizeof(l->old_id));
		memset(l->new_id, 0, sizeof(l->new_id));
		l->time = 0;
		l->tz_offset = 0;
		return 0;
	}
	memcpy(l->old_id, f.old_id, hash_size);
	memcpy(l->new_id, f.new_id, hash_size);
	if (rt_buf_set(&l->name, f.name, f.name_len) ||
	    rt_buf_set(&l->email, f.email, f.email_len) ||
	    rt_buf_set(&l->message, f.message, f.message_len))
		return -1;
	l->time = f.time;
	l->tz_offset = (int16_t)rt_get_be16(f.tz);
	return 0;
}

int rt_log_value_len(const struct rt_buf *key, uint8_t val_type,
		     const uint8_t *in, size_t len, int hash_size,
		     const char **why)
{
	struct cursor c = { .p = in, .left = len };
	struct log_fields f;

	if (take_log_value(&c, key, val_type, hash_size, &f)) {
		*why = c.why;
		return -1;
	}
	return (int)(len - c.left);
}

static int decode_obj(struct rt_obj_record *o, const struct rt_buf *key,
		      uint8_t val_type, struct cursor *c)
{
	uint64_t count = val_type, prev = 0;

	if (rt_buf_set(&o->prefix, key->buf, key->len))
		return -1;
	if (!count && take_varint(c, &count))
		return -1;
	/* Each position takes at least one byte. */
	if (count > c->left) {
		c->why = "obj record position count exceeds the block";
		return -1;
	}
	if (obj_reserve(o, count))
		return -1;
	for (uint64_t i = 0; i < count; i++) {
		uint64_t delta;

		if (take_varint(c, &delta))
			return -1;
		if (delta > UINT64_MAX - prev || (i && !delta)) {
			c->why = "obj record positions are not ascending";
			return -1;
		}
		prev += delta;
		o->offsets[i] = prev;
	}
	o->offset_len = count;
	return 0;
}

int rt_record_decode(struct rt_record *rec, const struct rt_buf *key,
		     uint8_t val_type, const uint8_t *in, size_t len,
		     int hash_size, uint64_t min_update_index,
		     struct rt_err *err)
{
	struct cursor c = { .p = in, .left = len };
	int bad;

	switch (rec->type) {
	case RT_BLOCK_REF:
		bad = decode_ref(&rec->u.ref, key, val_type, &c, hash_size,
				 min_update_index);
		break;
	case RT_BLOCK_LOG:
		bad = decode_log(&rec->u.log, key, val_type, &c, hash_size);
		break;
	case RT_BLOCK_OBJ:
		bad = decode_obj(&rec->u.obj, key, val_type, &c);
		break;
	case RT_BLOCK_INDEX:
		if (val_type != 0) {
			c.why = "index record with a non-zero value type";
			bad = -1;
			break;
		}
		bad = rt_buf_set(&rec->u.idx.last_key, key->buf, key->len) ||
		      take_varint(&c, &rec->u.idx.offset);
		break;
	default:
		c.why = "unknown record type";
		bad = -1;
	}
	if (bad && !c.why)
		return rt_err_oom(err);
	if (bad)
		return rt_err_set(err, RT_ERR_FORMAT, "%s", c.why);
	return (int)(len - c.left);
}

int rt_ref_record_cmp(const void *a, const void *b)
{
	const struct rt_ref_record *x = a, *y = b;

	return rt_buf_cmp(&x->refname, &y->refname);
}

int rt_log_record_cmp(const void *a, const void *b)
{
	const struct rt_log_record *x = a, *y = b;
	int c = rt_buf_cmp(&x->refname, &y->refname);

	if (c)
		return c;
	return x->update_index > y->update_index ?
		       -1 :
		       x->update_index < y->update_index;
}
