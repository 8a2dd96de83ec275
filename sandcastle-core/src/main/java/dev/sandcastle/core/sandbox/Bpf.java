package dev.sandcastle.core.sandbox;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A small assembler for classic BPF, just what a seccomp filter needs: loads of a word of the
 * system call's data, forward jumps to labels, and returns. Labels are resolved when the program
 * is assembled; a conditional jump can skip at most 255 instructions (the format's limit), which
 * {@link #assemble} checks rather than silently truncating.
 */
final class Bpf {
  private static final int LD_W_ABS = 0x20;
  private static final int JA = 0x05;
  private static final int RET_K = 0x06;
  /** Instructions the kernel accepts in one filter (BPF_MAXINSNS). */
  static final int MAX_INSTRUCTIONS = 4096;

  /** A comparison of the accumulator with a constant. */
  enum Test {
    EQ(0x15), GT(0x25), GE(0x35), SET(0x45);

    final int code;

    Test(int code) {
      this.code = code;
    }
  }

  /** A place in the program, named by jumps before it is placed. */
  static final class Label {}

  private sealed interface Item {}

  private record Instruction(int code, Label ifTrue, Label ifFalse, Label always, int k) implements Item {}

  private record Mark(Label label) implements Item {}

  private final List<Item> items = new ArrayList<>();

  /** Loads the 32-bit word at this offset of {@code struct seccomp_data}. */
  Bpf load(int offset) {
    items.add(new Instruction(LD_W_ABS, null, null, null, offset));
    return this;
  }

  /** Jumps to {@code ifTrue} or {@code ifFalse} (null: the next instruction) on the test's outcome. */
  Bpf jump(Test test, long k, Label ifTrue, Label ifFalse) {
    items.add(new Instruction(test.code, ifTrue, ifFalse, null, word(k)));
    return this;
  }

  /** Jumps to the label unconditionally. */
  Bpf jump(Label to) {
    items.add(new Instruction(JA, null, null, to, 0));
    return this;
  }

  /** Ends the filter with this action. */
  Bpf ret(int action) {
    items.add(new Instruction(RET_K, null, null, null, action));
    return this;
  }

  /** Places a label before the next instruction. */
  Bpf place(Label label) {
    items.add(new Mark(label));
    return this;
  }

  /** The program as the kernel reads it: 8 bytes per instruction in the machine's byte order. */
  byte[] assemble(ByteOrder order) {
    Map<Label, Integer> positions = new HashMap<>();
    int count = 0;
    for (Item item : items) {
      if (item instanceof Mark(Label label)) {
        if (positions.putIfAbsent(label, count) != null) {
          throw new IllegalStateException("a label is placed twice");
        }
      } else {
        count++;
      }
    }
    if (count > MAX_INSTRUCTIONS) {
      throw new IllegalStateException("the filter has " + count + " instructions, over the kernel's " + MAX_INSTRUCTIONS);
    }
    ByteBuffer out = ByteBuffer.allocate(count * 8).order(order);
    int pc = 0;
    for (Item item : items) {
      if (item instanceof Instruction(int code, Label ifTrue, Label ifFalse, Label always, int k)) {
        int target = always == null ? k : offset(positions, always, pc, Integer.MAX_VALUE);
        out.putShort((short) code).put((byte) offset(positions, ifTrue, pc, 255)).put((byte) offset(positions, ifFalse, pc, 255))
            .putInt(target);
        pc++;
      }
    }
    return out.array();
  }

  private static int offset(Map<Label, Integer> positions, Label label, int pc, int max) {
    if (label == null) {
      return 0;
    }
    Integer position = positions.get(label);
    if (position == null) {
      throw new IllegalStateException("a jump to a label that is never placed");
    }
    int offset = position - pc - 1;
    if (offset < 0 || offset > max) {
      throw new IllegalStateException("a jump of " + offset + " instructions (allowed: 0 to " + max + ")");
    }
    return offset;
  }

  private static int word(long k) {
    if (k < Integer.MIN_VALUE || k > 0xffff_ffffL) {
      throw new IllegalArgumentException("not a 32-bit constant: " + k);
    }
    return (int) k;
  }
}
