# Interoperability: the real DataStax Python driver against cqlmock.
# The .py tests run with $(PYTHON_DRIVER) (see TEST_EXTENSIONS in
# Makefile.am); they exit 77 (SKIP) when the driver is not installed.
TESTS += tests/interop/test_mock_protocol.py \
	tests/interop/test_python_driver.py
EXTRA_DIST += tests/interop/test_mock_protocol.py \
	tests/interop/test_python_driver.py \
	tests/lib/cqlmock.py \
	tests/lib/demo.py \
	tests/mock/engine/gen-systables.py \
	tests/mock/engine/systables.inc
