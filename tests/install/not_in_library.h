/* For the test install_exports_detects_missing: a declaration libtlsflow.so lacks, which
 * check_exports.py must report. Not installed, not included by anything. */
int tlsflow_not_in_library(void);
