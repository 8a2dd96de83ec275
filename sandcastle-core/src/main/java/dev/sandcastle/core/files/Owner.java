package dev.sandcastle.core.files;

/**
 * The Linux account that owns a workspace. When the server runs as root, file operations run with
 * this account's rights (so what they create is the account's); otherwise what the server creates
 * is given to this uid/gid (possible only for the server's own ids).
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
