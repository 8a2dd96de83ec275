package dev.sandcastle.core.files;

/**
 * The Linux account that owns a workspace. Files and directories the server creates in the
 * workspace are given to this uid/gid, so the sandboxed user can modify them.
 *
 * @param uid numeric user id, or -1 together with {@code gid == -1} for {@link #NONE}
 * @param gid numeric group id
 */
public record Owner(int uid, int gid) {
  /** Leave new files owned by the server process (no chown). */
  public static final Owner NONE = new Owner(-1, -1);

  public Owner {
    boolean none = uid == -1 && gid == -1;
    if (!none && (uid < 0 || gid < 0)) {
      throw new IllegalArgumentException(
          "owner uid and gid must both be >= 0 (or both -1 for no owner): " + uid + ":" + gid);
    }
  }

  boolean isNone() {
    return uid == -1;
  }
}
