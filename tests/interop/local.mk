# Interoperability: the real DataStax Python driver against cqlmock.
