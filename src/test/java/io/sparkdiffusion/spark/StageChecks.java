package io.sparkdiffusion.spark;

import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamPair;
import org.apache.spark.ml.param.Params;
import org.apache.spark.ml.util.MLWritable;

import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.Set;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Spark's three standard checks for a stage (as MLlib's ParamsSuite and DefaultReadWriteTest do them). */
final class StageChecks {
    private StageChecks() {
    }

    /**
     * Every Param: owned by the stage's uid, documented, with a default (so it is always defined), a public no-arg
     * method returning it, a getter {@code getX} returning its value, and a setter {@code setX} unless listed in
     * {@code noSetter}; the Params are found by reflection and sorted by name.
     */
    static void checkParams(Params stage, Set<String> noSetter) {
        Param<?>[] params = stage.params();
        assertTrue(params.length > 0, "no Params found by reflection");
        String[] names = Arrays.stream(params).map(Param::name).toArray(String[]::new);
        String[] sorted = names.clone();
        Arrays.sort(sorted);
        assertEquals(Arrays.asList(sorted), Arrays.asList(names), "params() must be sorted by name");
        for (Param<?> p : params) {
            assertEquals(stage.uid(), p.parent(), p.name() + ": parent must be the stage's uid");
            assertFalse(p.doc().isBlank(), p.name() + ": needs a doc");
            assertTrue(stage.hasDefault(p), p.name() + ": needs a default");
            assertSame(p, stage.getParam(p.name()));
            String cap = Character.toUpperCase(p.name().charAt(0)) + p.name().substring(1);
            Method getter = method(stage, "get" + cap);
            Object value = invoke(getter, stage);
            assertEquals(normalize(stage.getOrDefault(p)), normalize(value), p.name() + ": getter disagrees");
            if (!noSetter.contains(p.name())) {
                Method setter = Arrays.stream(stage.getClass().getMethods())
                        .filter(m -> m.getName().equals("set" + cap) && m.getParameterCount() == 1)
                        .findFirst().orElseThrow(() -> new AssertionError(p.name() + ": no setter set" + cap));
                Params copy = stage.copy(ParamMap.empty());
                assertSame(copy, invoke(setter, copy, stage.getOrDefault(p)), p.name() + ": setter must return this");
                assertTrue(copy.isSet(copy.getParam(p.name())), p.name() + ": setter must set the Param");
            }
        }
        assertFalse(stage.explainParams().isBlank());
    }

    /** copy keeps the uid and the values, and an extra ParamMap changes the copy only. */
    static <T extends Params> void checkCopyAndUid(T stage, Param<?> toChange, Object newValue) {
        @SuppressWarnings("unchecked")
        T copy = (T) stage.copy(ParamMap.empty());
        assertNotSame(stage, copy);
        assertEquals(stage.getClass(), copy.getClass());
        assertEquals(stage.uid(), copy.uid());
        assertParamsEqual(stage, copy);
        @SuppressWarnings({"unchecked", "rawtypes"})
        ParamMap extra = ParamMap.empty().put(new ParamPair(toChange, newValue));
        Params changed = stage.copy(extra);
        assertEquals(normalize(newValue), normalize(changed.getOrDefault(changed.getParam(toChange.name()))));
        assertFalse(normalize(newValue).equals(normalize(stage.getOrDefault(toChange))), "the original is unchanged");
    }

    /** Saves, loads with {@code loader}, and checks class, uid and every Param value. */
    static <T extends Params & MLWritable> T saveAndLoad(T stage, String path, Function<String, T> loader) {
        try {
            stage.write().overwrite().save(path);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        T loaded = loader.apply(path);
        assertEquals(stage.getClass(), loaded.getClass());
        assertEquals(stage.uid(), loaded.uid());
        assertParamsEqual(stage, loaded);
        return loaded;
    }

    static void assertParamsEqual(Params a, Params b) {
        for (Param<?> p : a.params()) {
            Param<?> q = b.getParam(p.name());
            assertEquals(a.isSet(p), b.isSet(q), p.name() + ": set-ness differs");
            assertEquals(normalize(a.getOrDefault(p)), normalize(b.getOrDefault(q)), p.name() + ": value differs");
        }
    }

    private static Object normalize(Object v) {
        if (v instanceof int[] a) {
            return Arrays.toString(a);
        }
        if (v instanceof double[] a) {
            return Arrays.toString(a);
        }
        if (v instanceof String[] a) {
            return Arrays.toString(a);
        }
        return v;
    }

    private static Method method(Object o, String name) {
        try {
            return o.getClass().getMethod(name);
        } catch (NoSuchMethodException e) {
            throw new AssertionError(o.getClass().getSimpleName() + " lacks public " + name + "()", e);
        }
    }

    private static Object invoke(Method m, Object target, Object... args) {
        try {
            return m.invoke(target, args);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError("calling " + m, e);
        }
    }
}
