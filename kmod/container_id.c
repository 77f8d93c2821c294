// SPDX-License-Identifier: GPL-2.0
/*
 * Container id derivation from a cgroup v2 path (docs/proc-format.md,
 * "Container ids"). The path is looked at from the leaf to the root and
 * the first (innermost) component that matches one of these is taken:
 *
 *   docker-<64 hex>.scope          docker (systemd cgroup driver)
 *   <64 hex> under "docker"        docker (cgroupfs driver)
 *   cri-containerd-<64 hex>.scope  containerd
 *   crio-<64 hex>.scope            crio
 *   libpod-<64 hex>.scope          podman
 *
 * Hex is lower case only. comm is never used.
 */
#include <linux/string.h>
#include <linux/kernel.h>
#include "kwarden.h"

static const char kw_scope[] = ".scope";

static const struct {
	const char *prefix;
	enum kw_runtime rt;
} kw_scopes[] = {
	{ "docker-", KW_RT_DOCKER },
	{ "cri-containerd-", KW_RT_CONTAINERD },
	{ "crio-", KW_RT_CRIO },
	{ "libpod-", KW_RT_PODMAN },
};

const char *kw_runtime_name(enum kw_runtime rt)
{
	switch (rt) {
	case KW_RT_DOCKER:
		return "docker";
	case KW_RT_CONTAINERD:
		return "containerd";
	case KW_RT_CRIO:
		return "crio";
	case KW_RT_PODMAN:
		return "podman";
	default:
		return "";
	}
}

static bool kw_is_hex64(const char *s)
{
	unsigned int i;

	for (i = 0; i < KW_ID_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/*
 * Matches one path component @s (@n bytes) whose parent component is
 * @parent (@pn bytes, "" for the root). On a match copies the id to @id.
 */
static enum kw_runtime kw_match(const char *s, size_t n,
				const char *parent, size_t pn, char *id)
{
	const size_t sl = sizeof(kw_scope) - 1;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(kw_scopes); i++) {
		size_t pl = strlen(kw_scopes[i].prefix);

		if (n != pl + KW_ID_LEN + sl ||
		    memcmp(s, kw_scopes[i].prefix, pl) ||
		    memcmp(s + pl + KW_ID_LEN, kw_scope, sl) ||
		    !kw_is_hex64(s + pl))
			continue;
		memcpy(id, s + pl, KW_ID_LEN);
		id[KW_ID_LEN] = '\0';
		return kw_scopes[i].rt;
	}
	if (n == KW_ID_LEN && kw_is_hex64(s) &&
	    pn == 6 && !memcmp(parent, "docker", 6)) {
		memcpy(id, s, KW_ID_LEN);
		id[KW_ID_LEN] = '\0';
		return KW_RT_DOCKER;
	}
	return KW_RT_NONE;
}

/*
 * kw_container_from_path - derive the container of cgroup path @path.
 *
 * @path is absolute ("/a/b/c", "/" for the root) and need not be
 * NUL-terminated. Fills @c and returns true on a match; c->depth is the
 * number of components below the matched one, so the container's own
 * cgroup is that many cgroup_parent() steps above the leaf.
 */
bool kw_container_from_path(const char *path, size_t len,
			    struct kw_container *c)
{
	size_t end = len, beg, pbeg, pend;
	unsigned int depth = 0;
	enum kw_runtime rt;

	c->rt = KW_RT_NONE;
	c->id[0] = '\0';
	c->depth = 0;
	while (end > 0) {
		beg = end;
		while (beg > 0 && path[beg - 1] != '/')
			beg--;
		if (end > beg) {
			/* The parent component ends at the '/' before us. */
			pend = beg ? beg - 1 : 0;
			pbeg = pend;
			while (pbeg > 0 && path[pbeg - 1] != '/')
				pbeg--;
			rt = kw_match(path + beg, end - beg, path + pbeg,
				      pend - pbeg, c->id);
			if (rt != KW_RT_NONE) {
				c->rt = rt;
				c->depth = depth;
				return true;
			}
			depth++;
		}
		if (beg == 0)
			break;
		end = beg - 1;
	}
	return false;
}
