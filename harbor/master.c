/* master.c -- the cluster master: registers nodes and tells each about the
 * others.  See master.h. */
#include "harbor/master.h"

#include <stdio.h>
#include <string.h>

static void node_up_msg(struct link *to, const struct link *about)
{
	harbor_Control c = harbor_Control_init_zero;
	c.which_msg = harbor_Control_node_up_tag;
	c.msg.node_up.node_id = about->peer_id;
	snprintf(c.msg.node_up.address, sizeof c.msg.node_up.address, "%s", about->peer_addr);
	link_send_control(to, &c);
}

static void name_msg(struct link *to, const char *name, uint32_t handle)
{
	harbor_Control c = harbor_Control_init_zero;
	c.which_msg = harbor_Control_name_reply_tag;
	snprintf(c.msg.name_reply.name, sizeof c.msg.name_reply.name, "%s", name);
	c.msg.name_reply.handle = handle;
	link_send_control(to, &c);
}

static void name_to_link(const char *name, uint32_t handle, void *ud)
{
	name_msg(ud, name, handle);
}

void master_node_up(struct master *m, struct link *l)
{
	unsigned id = l->peer_id;
	struct link *old = m->node[id];
	if (id == m->local_id || (old && old != l && old->state != LINK_CLOSED)) {
		char why[96];
		snprintf(why, sizeof why, "node id %u already in use", id);
		m->log(m->ud, "master: refused node %u (%s): %s", id, l->remote, why);
		link_close(l, harbor_ErrorCode_ERROR_NODE_ID, why);
		return;
	}
	m->node[id] = l;
	m->log(m->ud, "master: node %u (fd=%d) report %s", id, l->fd, l->peer_addr);
	harbor_Control c = harbor_Control_init_zero;
	c.which_msg = harbor_Control_node_up_tag;
	c.msg.node_up.node_id = m->local_id;
	snprintf(c.msg.node_up.address, sizeof c.msg.node_up.address, "%s", m->local_addr);
	link_send_control(l, &c);
	m->local_up(m->ud, id, l->peer_addr);
	/* The newcomer learns every node, and every node learns it. */
	for (unsigned i = 1; i < 256; i++) {
		struct link *o = m->node[i];
		if (!o || o == l || o->state != LINK_UP)
			continue;
		node_up_msg(l, o);
		node_up_msg(o, l);
	}
	/* ... and every global name bound so far. */
	book_each(&m->names, name_to_link, l);
}

void master_node_closed(struct master *m, struct link *l)
{
	unsigned id = l->peer_id;
	if (id == 0 || m->node[id] != l)
		return;
	m->node[id] = NULL;
	m->log(m->ud, "master: node %u left (%s)", id, l->why);
	m->local_down(m->ud, id);
	harbor_Control c = harbor_Control_init_zero;
	c.which_msg = harbor_Control_node_down_tag;
	c.msg.node_down.node_id = id;
	for (unsigned i = 1; i < 256; i++)
		if (m->node[i] && m->node[i]->state == LINK_UP)
			link_send_control(m->node[i], &c);
}

/* The registrant learns the binding that stands; the log says why. */
static void refuse_name(struct master *m, struct link *from, const char *name,
                        uint32_t handle, uint32_t bound, const char *why)
{
	unsigned node = from ? from->peer_id : m->local_id;
	m->log(m->ud, "master: refused global name %s for :%08x from node %u: %s",
	       name, (unsigned)handle, node, why);
	if (!bound)
		return;
	if (from)
		name_msg(from, name, bound);
	else
		m->local_name(m->ud, name, bound);
}

void master_register(struct master *m, struct link *from, const char *name, uint32_t handle)
{
	uint32_t bound;
	char why[64];
	switch (book_bind(&m->names, name, handle, &bound)) {
	case BOOK_SAME:
		return;
	case BOOK_TAKEN:
		snprintf(why, sizeof why, "already bound to :%08x", (unsigned)bound);
		refuse_name(m, from, name, handle, bound, why);
		return;
	case BOOK_FULL:
		refuse_name(m, from, name, handle, 0, "the book of names is full");
		return;
	case BOOK_INVALID:
		refuse_name(m, from, name, handle, 0, "not a valid global name");
		return;
	case BOOK_ADDED:
		break;
	}
	m->local_name(m->ud, name, handle);
	for (unsigned i = 1; i < 256; i++)
		if (m->node[i] && m->node[i]->state == LINK_UP)
			name_msg(m->node[i], name, handle);
}

void master_control(struct master *m, struct link *l, const harbor_Control *c)
{
	switch (c->which_msg) {
	case harbor_Control_name_register_tag:
		master_register(m, l, c->msg.name_register.name, c->msg.name_register.handle);
		break;
	case harbor_Control_name_query_tag: {
		/* An unknown name gets no answer now: the NAME_REPLY that every
		 * node receives when it is bound answers it. */
		uint32_t h = book_find(&m->names, c->msg.name_query.name);
		if (h)
			name_msg(l, c->msg.name_query.name, h);
		break;
	}
	default:
		/* Anything else is ignored, so that newer nodes can talk to
		 * this master. */
		break;
	}
}

void master_free(struct master *m)
{
	book_free(&m->names);
}
