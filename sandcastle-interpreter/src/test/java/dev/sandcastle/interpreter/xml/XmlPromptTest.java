package dev.sandcastle.interpreter.xml;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The text sent to the model. */
class XmlPromptTest {

  @Test
  void theFollowUpHasOpenWebUisFormat() {
    assertThat(XmlPrompt.followUp("print(1 + 1)", "2\n"))
        .isEqualTo("<code_interpreter>\nprint(1 + 1)\n</code_interpreter>\n"
            + "<code_interpreter_output>\n2\n\n</code_interpreter_output>");
    assertThat(XmlPrompt.followUp("", ""))
        .isEqualTo("<code_interpreter>\n\n</code_interpreter>\n<code_interpreter_output>\n\n</code_interpreter_output>");
  }

  @Test
  void theInstructionsTellTheModelHowToRunCode() {
    String text = XmlPrompt.instructions();

    assertThat(text)
        .contains("<code_interpreter type=\"code\" lang=\"python\">")
        .contains("</code_interpreter>")
        .contains("stop and wait")
        .contains("triple backticks")
        .contains("Print every result")
        .contains("last expression is not shown")
        .contains("image link or a file link", "exactly as")
        .contains("persistent workspace", "home directory", "kept from one run to the next")
        .doesNotEndWith("\n");
  }

  @Test
  void theInstructionsFollowTheLastUserMessage() {
    assertThat(XmlPrompt.appendTo("Plot sin(x).")).isEqualTo("Plot sin(x).\n\n" + XmlPrompt.instructions());
    assertThat(XmlPrompt.appendTo("")).isEqualTo(XmlPrompt.instructions());
  }

  @Test
  void theParserFindsTheTagTheInstructionsAskFor() {
    CodeTagParser parser = new CodeTagParser();
    var events = parser.feed("<code_interpreter type=\"code\" lang=\"python\">print(1)</code_interpreter>");
    assertThat(events.getLast()).isInstanceOfSatisfying(CodeTagParser.Event.CodeFinished.class,
        f -> assertThat(f.runnable()).isTrue());
  }
}
