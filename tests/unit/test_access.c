/* Unit tests for the access policy (access.c) alone: who sees a case in full, as a summary,
 * or not at all; who may reveal sensitive values; who may break the glass. */
#include "access.h"
#include "t.h"

static json_t *user(const char *login, const char *role, const char *roles, const char *teams) {
  json_error_t je;
  return json_pack("{s:s,s:s,s:o,s:o}", "login", login, "role", role, "roles",
                   json_loads(roles, 0, &je), "teams", json_loads(teams, 0, &je));
}

int main(void) {
  json_t *north_case = json_pack("{s:i,s:s,s:s,s:s}", "id", 1, "workflow", "coparenthood",
                                 "allocated_to", "nina", "team", "north");
  json_t *safe_case = json_pack("{s:i,s:s,s:s,s:s,s:{s:s}}", "id", 2, "workflow", "safe_place",
                                "allocated_to", "sam", "team", "south", "data", "x", "y");
  json_t *loose = json_pack("{s:i,s:s,s:n,s:n}", "id", 3, "workflow", "coparenthood",
                            "allocated_to", "team");
  json_t *admin = user("ada", "admin", "[]", "[]");
  json_t *nina = user("nina", "caseworker", "[\"coparenthood:caseworker\"]", "[\"north\"]");
  json_t *nico = user("nico", "caseworker", "[\"coparenthood:caseworker\"]", "[\"north\"]");
  json_t *sam = user("sam", "caseworker", "[\"safe_place:caseworker\"]", "[\"south\"]");
  json_t *sue = user("sue", "supervisor", "[]", "[\"north\"]");
  json_t *ann = user("ann", "analyst", "[]", "[]");
  json_t *vic = user("vic", "viewer", "[]", "[\"north\"]");

  kf_access a = kf_access_case(admin, safe_case, NULL);
  CHECK(a.see == KF_SEE_FULL && a.sensitive && !strcmp(a.basis, "admin"), "an admin sees everything");
  a = kf_access_case(nina, north_case, NULL);
  CHECK(a.see == KF_SEE_FULL && a.sensitive && !strcmp(a.basis, "allocated"), "the allocated worker");
  a = kf_access_case(nico, north_case, NULL);
  CHECK(a.see == KF_SEE_FULL && a.sensitive && !strcmp(a.basis, "team"), "a worker of the case's team");
  a = kf_access_case(nina, safe_case, NULL);
  CHECK(a.see == KF_SEE_NONE && !a.glass, "a caseworker without a role in the programme: nothing");
  a = kf_access_case(sam, north_case, NULL);
  CHECK(a.see == KF_SEE_NONE, "roles limited to safe_place do not reach coparenthood");
  a = kf_access_case(nina, loose, NULL);
  CHECK(a.see == KF_SEE_SUMMARY && a.glass && !a.sensitive, "an unallocated case: a summary, glass offered");
  json_t *grants = json_pack("[{s:i,s:i}]", "grant", 7, "case", 3);
  a = kf_access_case(nina, loose, grants);
  CHECK(a.see == KF_SEE_FULL && !strcmp(a.basis, "glass") && a.grant == 7 && a.sensitive,
        "after breaking the glass: full, on the grant's basis");
  a = kf_access_case(sue, safe_case, NULL);
  CHECK(a.see == KF_SEE_SUMMARY && a.glass, "a supervisor outside the case's team: summary and glass");
  a = kf_access_case(sue, north_case, NULL);
  CHECK(a.see == KF_SEE_FULL && a.sensitive, "a supervisor of the team");
  a = kf_access_case(ann, safe_case, NULL);
  CHECK(a.see == KF_SEE_SUMMARY && !a.glass && !a.sensitive, "an analyst: summaries only");
  a = kf_access_case(vic, north_case, NULL);
  CHECK(a.see == KF_SEE_SUMMARY && !a.glass && !a.sensitive, "a viewer, even in the team: summaries only");

  json_t *sum = kf_access_summary(safe_case);
  CHECK(!json_object_get(sum, "data") && json_is_true(json_object_get(sum, "summary")) &&
            !strcmp(json_string_value(json_object_get(sum, "team")), "south"), "a summary has no data");
  json_decref(sum);

  CHECK(kf_access_holds(nina, "coparenthood", "caseworker") && !kf_access_holds(nina, "safe_place", NULL),
        "programme roles are per programme");
  json_t *f = kf_access_visible(nina, "2026-01-01T00:00:00Z");
  CHECK(json_array_size(json_object_get(f, "workflows")) == 1, "a limited caseworker lists one programme");
  json_decref(f);
  f = kf_access_visible(sue, "2026-01-01T00:00:00Z");
  CHECK(!json_object_get(f, "workflows"), "a supervisor lists every programme");
  json_decref(f);

  /* A family account, bound to a member of case 1: no case through the staff policy (its
   * own case reaches it only as its family page), no programme role, no list. */
  json_t *robin = json_pack("{s:s,s:s,s:[],s:[],s:{s:i,s:i,s:s,s:s}}", "login", "robin", "role",
                            "family", "roles", "teams", "family", "case", 1, "member", 1, "role",
                            "parent", "name", "Robin");
  json_t *robin_grants = json_pack("[{s:i,s:i}]", "grant", 9, "case", 1);
  json_t *to_robin = json_pack("{s:i,s:s,s:s,s:n}", "id", 4, "workflow", "coparenthood",
                               "allocated_to", "robin", "team");
  a = kf_access_case(robin, north_case, NULL);
  CHECK(a.see == KF_SEE_NONE && !a.sensitive && !a.glass && !a.basis, "a family account sees no case as staff do");
  a = kf_access_case(robin, north_case, robin_grants);
  CHECK(a.see == KF_SEE_NONE && !a.glass, "a grant does not open a case to a family account");
  a = kf_access_case(robin, to_robin, NULL);
  CHECK(a.see == KF_SEE_NONE, "a case allocated to a family login is not theirs to see as staff");
  CHECK(!kf_access_holds(robin, "coparenthood", NULL) && !kf_access_holds(robin, "coparenthood", "parent"),
        "a family account holds no programme role");
  f = kf_access_visible(robin, "2026-01-01T00:00:00Z");
  CHECK(json_is_array(json_object_get(f, "workflows")) && json_array_size(json_object_get(f, "workflows")) == 0,
        "a family account lists no programme's cases");
  json_decref(f);

  json_t *all[] = {north_case, safe_case, loose, admin, nina, nico, sam, sue, ann, vic, grants,
                   robin, robin_grants, to_robin};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) json_decref(all[i]);
  T_DONE();
}
