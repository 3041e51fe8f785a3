# tests/fuzz: libFuzzer harnesses (configure CC=clang --enable-fuzzing; make fuzz)
