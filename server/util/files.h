/* Whole-file helpers for PEM files and the local PKI directory. On failure they
 * print one clear line to stderr naming the file and the reason. */
#ifndef TLSFLOW_FILES_H
#define TLSFLOW_FILES_H

#include <stddef.h>
#include <stdint.h>

/* Set the "program: " prefix used in error messages. */
void files_set_program(const char *name);
/* Print "program: message" to stderr. */
void errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Read a whole file (at most max bytes) into a NUL-terminated heap buffer.
 * what names the file's role in the message ("--cert file"). 0 on success. */
int file_read_all(const char *path, size_t max, const char *what, uint8_t **out, size_t *len);
/* Write a file atomically (temporary file + rename) with the given mode. 0 on success. */
int file_write_atomic(const char *path, const void *data, size_t len, unsigned mode);
int file_exists(const char *path);
/* mkdir -p with mode for the directories it creates. 0 on success. */
int dir_make(const char *path, unsigned mode);

#endif
