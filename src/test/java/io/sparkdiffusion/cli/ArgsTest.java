package io.sparkdiffusion.cli;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ArgsTest {
    @Test
    void parsesPositionalsAndBothOptionForms() {
        Args args = Args.parse(new String[]{"conf/q.json", "--num-steps", "18", "--guidance-weight=2.5", "-3"});
        assertEquals(List.of("conf/q.json", "-3"), args.positional());
        assertEquals(Map.of("numSteps", "18", "guidanceWeight", "2.5"), args.options());
        assertFalse(args.help());
        assertTrue(Args.parse(new String[]{"x", "--help"}).help());
        assertTrue(Args.parse(new String[]{"-h"}).help());
    }

    @Test
    void kebabAndCamelAreInverse() {
        assertEquals("numSteps", Args.camel("num-steps"));
        assertEquals("num-steps", Args.kebab("numSteps"));
        assertEquals("ema-half-life-images", Args.kebab("emaHalfLifeImages"));
        assertEquals("beta1", Args.camel(Args.kebab("beta1")));
    }

    @Test
    void mistakesAreNamed() {
        assertEquals("--num-steps needs a value",
                assertThrows(UsageException.class, () -> Args.parse(new String[]{"--num-steps"})).getMessage());
        assertEquals("--seed is given twice",
                assertThrows(UsageException.class, () -> Args.parse(new String[]{"--seed", "1", "--seed", "2"})).getMessage());
        assertTrue(assertThrows(UsageException.class, () -> Args.parse(new String[]{"--numSteps", "1"})).getMessage()
                .contains("kebab-case"));
        assertTrue(assertThrows(UsageException.class, () -> Args.parse(new String[]{"-x"})).getMessage()
                .startsWith("unknown option -x"));
    }

    @Test
    void requiredAndAllowedOptions() {
        Args args = Args.parse(new String[]{"--model", "m", "--nmu", "3"});
        assertEquals("m", args.required("model", "sample"));
        assertEquals("sample needs --out (see ./submit.sh sample --help)",
                assertThrows(UsageException.class, () -> args.required("out", "sample")).getMessage());
        assertEquals("unknown option --nmu for sample; allowed: [--model, --num] (see ./submit.sh sample --help)",
                assertThrows(UsageException.class, () -> args.requireOnly(Set.of("model", "num"), "sample")).getMessage());
    }
}
