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

void master_control(struct master *m, struct link *l, const harbor_Control *c)
{
	(void)m;
	if (c->which_msg == harbor_Control_ping_tag) {
		harbor_Control r = harbor_Control_init_zero;
		r.which_msg = harbor_Control_pong_tag;
		r.msg.pong.seq = c->msg.ping.seq;
		link_send_control(l, &r);
	}
	/* Global names are the next step (issue #5); anything else is
	 * ignored so that newer nodes can talk to this master. */
}
