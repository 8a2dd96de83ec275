package dev.sandcastle.interpreter.xml;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** What the kernel gets from the code a model wrote. */
class CodeCleanerTest {

  @Test
  void colourAndTerminalTitleSequencesAreRemoved() {
    assertThat(CodeCleaner.clean("\u001b[38;5;208mx\u001b[0m = 1\u001b]2;t\u001b\\\n\u001b(Bprint(x)\u001b"))
        .isEqualTo("x = 1\nprint(x)");
  }

  @Test
  void fencesAroundTheCodeAreRemovedButNotInsideIt() {
    assertThat(CodeCleaner.clean("\n``` python\ns = '''\n```\n'''\nprint(s)\n```\n"))
        .isEqualTo("s = '''\n```\n'''\nprint(s)");
    assertThat(CodeCleaner.clean("````\nprint(1)\n````")).isEqualTo("print(1)");
  }

  @Test
  void indentationInsideTheCodeIsKept() {
    assertThat(CodeCleaner.clean("if True:\n    print(1)\n\n\tprint(2)\n"))
        .isEqualTo("if True:\n    print(1)\n\n\tprint(2)");
    assertThat(CodeCleaner.clean("  for i in range(2):\n      print(i)\n  print('done')"))
        .isEqualTo("for i in range(2):\n    print(i)\nprint('done')");
  }

  @Test
  void windowsLineEndsBecomeNewlines() {
    assertThat(CodeCleaner.clean("\r\nprint(1)\r\nprint(2)\r\n")).isEqualTo("print(1)\nprint(2)");
  }

  @Test
  void nothingButFencesAndBlankLinesIsEmpty() {
    assertThat(CodeCleaner.clean("\n```python\n\n```\n")).isEmpty();
    assertThat(CodeCleaner.clean("")).isEmpty();
  }
}
