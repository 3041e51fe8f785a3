# tests/mock/engine
