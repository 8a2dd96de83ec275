package dev.sandcastle.app.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** deploy/docker/Dockerfile (for registries) makes the same image as {@code sandcastle image build}. */
class ImagePackagesTest {
  static String dockerfile() throws Exception {
    Path file = Path.of("../deploy/docker/Dockerfile");
    if (!Files.exists(file)) {
      file = Path.of("deploy/docker/Dockerfile");
    }
    return Files.readString(file);
  }

  @Test
  void theDockerfileInstallsTheSamePackagesInTheSameOrder() throws Exception {
    List<String> listed = new ArrayList<>();
    boolean inside = false;
    for (String line : dockerfile().lines().map(String::strip).toList()) {
      if (line.equals("# packages: begin")) {
        inside = true;
      } else if (line.equals("# packages: end")) {
        inside = false;
      } else if (inside) {
        listed.add(line.replaceAll("\\s*\\\\$", ""));
      }
    }
    assertThat(listed).as("packages between the markers of deploy/docker/Dockerfile").isEqualTo(ImageBuilder.packages());
  }

  @Test
  void theDockerfileHasTheSameRuntimeModulesAndConfiguration() throws Exception {
    String dockerfile = dockerfile();
    assertThat(dockerfile).contains("--add-modules " + String.join(",", ImageBuilder.JAVA_MODULES) + " ");
    assertThat(dockerfile.replaceAll("\\s*\\\\\n\\s*", " ")).as("the same jlink options")
        .contains(String.join(" ", ImageBuilder.JLINK_OPTIONS) + " --output");
    for (String change : ImageBuilder.changes("x")) {
      if (!change.startsWith("LABEL")) {
        assertThat(dockerfile).as("the Dockerfile has: " + change).contains(change);
      }
    }
  }

  /** The Dockerfile copies the image builder's own launcher and scripts, and runs both scripts. */
  @Test
  void theDockerfileUsesTheImageBuildersLauncherAndScripts() throws Exception {
    String dockerfile = dockerfile();
    String resources = "sandcastle-app/src/main/resources/dev/sandcastle/app/image/";
    assertThat(dockerfile).contains("COPY " + resources + "sandcastle.sh /usr/local/bin/sandcastle",
        "COPY " + resources + "slim.sh /tmp/slim.sh", "sh /tmp/slim.sh",
        "COPY " + resources + "train-aot.sh /" + ImageBuilder.OPT + "/train-aot", "sh /" + ImageBuilder.OPT + "/train-aot",
        "/" + ImageBuilder.AOT_CACHE);
    for (String script : List.of("sandcastle.sh", "slim.sh", "train-aot.sh")) {
      Path file = Path.of("src/main/resources/dev/sandcastle/app/image/" + script);
      if (!Files.exists(file)) {
        file = Path.of("sandcastle-app").resolve(file);
      }
      assertThat(Files.isExecutable(file)).as(script + " is executable (COPY keeps the mode)").isTrue();
    }
    assertThat(ImageBuilder.LAUNCHER).as("the launcher uses the cache where the image keeps it").contains("/" + ImageBuilder.AOT_CACHE);
  }

  @Test
  void theMirrorIsReadFromEitherSourcesFormat() {
    assertThat(ImageBuilder.mirrorIn("""
        Types: deb
        URIs: http://deb.debian.org/debian
        Suites: bookworm bookworm-updates
        """)).hasValue("http://deb.debian.org/debian");
    assertThat(ImageBuilder.mirrorIn("deb http://security.debian.org/debian-security bookworm-security main\n"
        + "deb [arch=amd64] http://mirror.example.org/debian/ bookworm main\n")).hasValue("http://mirror.example.org/debian/");
    assertThat(ImageBuilder.mirrorIn("deb https://packages.cloud.google.com/apt cloud-sdk main\n")).isEmpty();
  }
}
