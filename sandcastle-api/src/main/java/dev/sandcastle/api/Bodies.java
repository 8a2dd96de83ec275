package dev.sandcastle.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;

/** Request bodies, in the Open Terminal wire shape. */
final class Bodies {
  private Bodies() {}

  record Execute(String command, String cwd, Map<String, String> env, Double timeout) {}

  record Input(String input) {}

  record Write(String path, String content) {}

  record Replacement(
      String target,
      String replacement,
      @JsonProperty("start_line") Integer startLine,
      @JsonProperty("end_line") Integer endLine,
      @JsonProperty("allow_multiple") Boolean allowMultiple) {}

  record Replace(String path, List<Replacement> replacements) {}

  record PathOnly(String path) {}

  record Move(String source, String destination) {}

  record Archive(List<String> paths) {}
}
