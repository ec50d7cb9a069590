/* access.h: who may see and do what with a case (DESIGN.md "Who sees what"), as pure
 * functions over a user {login, role, roles, teams} and a case {id, workflow, allocated_to,
 * team}, given the user's unexpired grants (break the glass). No SQL, no Lua, no I/O: the
 * caller loads the records and applies the answer.
 * Ownership: json_t* arguments are borrowed; returned json_t* are new references. */
#ifndef KF_ACCESS_H
#define KF_ACCESS_H

#include <jansson.h>
#include <stdint.h>

typedef enum {
  KF_SEE_NONE = 0,    /* not listed, not opened */
  KF_SEE_SUMMARY = 1, /* listed as a summary only */
  KF_SEE_FULL = 2,    /* in scope: data, people, forms, history, moves; may act */
} kf_see;

typedef struct kf_access {
  kf_see see;
  int sensitive;     /* may reveal sensitive values (full view and the programme's right) */
  int glass;         /* not in scope, but may break the glass to open it */
  const char *basis; /* why in scope: "admin", "allocated", "team", "glass"; NULL if not */
  int64_t grant;     /* the grant behind "glass" */
} kf_access;

/* Does user hold role (NULL: any role) in programme workflow? A bare role holds in every
 * programme, "W:R" in W only; admin and supervisor hold every role; a caseworker with no
 * list holds "caseworker" everywhere. */
int kf_access_holds(const json_t *user, const char *workflow, const char *role);

/* The user's view of case c. grants: the user's unexpired grants [{grant, case}] (may be
 * NULL). A family account (role "family") sees no case this way: its own case reaches it
 * only as its family page (family.c). */
kf_access kf_access_case(const json_t *user, const json_t *c, const json_t *grants);

/* What a summary shows of c: {id, ref, workflow, state, final, allocated_to, team,
 * overdue_since, updated_at, summary: true}. */
json_t *kf_access_summary(const json_t *c);

/* The store's `visible_to` filter for user's lists: {login, teams, workflows?, now};
 * workflows is left out when the user may list every programme's cases (empty for a family
 * account: none). */
json_t *kf_access_visible(const json_t *user, const char *now);

#endif
