package dev.sandcastle.core.files;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import dev.sandcastle.core.errors.BadRequest;
import dev.sandcastle.core.errors.NotFound;
import java.io.IOException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The result of a secure walk: a held parent directory and a leaf name in it (which may not
 * exist), or the workspace root itself. Everything done through it is relative to the held
 * parent and never follows a link in the leaf. Closing it closes the held directories.
 */
final class Located implements AutoCloseable {
  private final DirChain chain;
  private final String leaf;
  private final Optional<BasicFileAttributes> attributes;
  private final String view;

  private Located(
      DirChain chain, String leaf, Optional<BasicFileAttributes> attributes, String view) {
    this.chain = chain;
    this.leaf = leaf;
    this.attributes = attributes;
    this.view = view;
  }

  static Located entry(
      DirChain chain, String leaf, Optional<BasicFileAttributes> attributes, String view) {
    SecureTree.leaf(leaf);
    return new Located(chain, leaf, attributes, view);
  }

  static Located root(DirChain chain, String view) throws IOException {
    BasicFileAttributes attributes =
        chain.root().getFileAttributeView(BasicFileAttributeView.class).readAttributes();
    return new Located(chain, "", Optional.of(attributes), view);
  }

  boolean isRoot() {
    return leaf.isEmpty();
  }

  boolean exists() {
    return attributes.isPresent();
  }

  boolean isDirectory() {
    return attributes.map(BasicFileAttributes::isDirectory).orElse(false);
  }

  boolean isRegularFile() {
    return attributes.map(BasicFileAttributes::isRegularFile).orElse(false);
  }

  /** The attributes of the leaf (not following a link), or NotFound. */
  BasicFileAttributes attributes() {
    return attributes.orElseThrow(() -> new NotFound("No such file or directory: " + view));
  }

  FileType type() {
    return FileType.of(attributes());
  }

  /** The view path the caller asked for (used in messages and results). */
  String view() {
    return view;
  }

  /** The leaf name; empty for the root. */
  String leaf() {
    return leaf;
  }

  DirChain chain() {
    return chain;
  }

  /** The held directory containing the leaf; for the root, the root itself. */
  SecureDirectoryStream<Path> parent() {
    return chain.top();
  }

  /** The real path below home that this names: no symbolic links in it. */
  List<String> realComponents() {
    List<String> out = new ArrayList<>(chain.components());
    if (!isRoot()) {
      out.add(leaf);
    }
    return out;
  }

  /** Opens the leaf as a directory, without following a link. */
  SecureDirectoryStream<Path> openDirectory() throws IOException {
    if (isRoot()) {
      return chain.root().newDirectoryStream(Path.of("."), NOFOLLOW_LINKS);
    }
    return chain.top().newDirectoryStream(SecureTree.leaf(leaf), NOFOLLOW_LINKS);
  }

  /** Opens the leaf for reading, without following a link. */
  SeekableByteChannel openRead() throws IOException {
    if (isRoot()) {
      throw new BadRequest("Is a directory: " + view);
    }
    return chain.top()
        .newByteChannel(SecureTree.leaf(leaf), Set.of(StandardOpenOption.READ, NOFOLLOW_LINKS));
  }

  @Override
  public void close() {
    chain.close();
  }
}
