*> coproc.cpy - libcoproc for GnuCOBOL (free format: COPY "coproc.cpy"
*> in WORKING-STORAGE). Status codes, option numbers and the data items
*> the calls need, named after coproc.h.
*>
*> Calling conventions (every function is documented in coproc.h and
*> docs/c-api.md):
*>  - handles (coproc_client*, coproc_pending*) are USAGE POINTER, passed
*>    BY VALUE; coproc_wait_any takes a table of pending calls
*>    (05 ... USAGE POINTER OCCURS n) BY REFERENCE, n and the timeout BY
*>    VALUE (size_t: PIC 9(18) COMP-5, long: PIC S9(18) COMP-5) and the
*>    index BY REFERENCE (examples/cobol/coproc_async.cob);
*>    a function that creates one gets it BY REFERENCE;
*>  - strings passed in must end in X"00": STRING ... X"00" DELIMITED BY
*>    SIZE INTO a PIC X field, passed BY REFERENCE;
*>  - strings the library returns (ids, JSON, messages) arrive as a
*>    POINTER: copy them into a PIC X field with coproc_copy_text (it pads
*>    with spaces and returns the full length), then give allocated ones
*>    back with coproc_free (never for coproc_errmsg / coproc_status_str);
*>  - every function returns a status in COPROC-STATUS: 0 is COPROC-OK.
*>
*>    CALL "coproc_client_new" USING BY REFERENCE COPROC-CLIENT
*>         RETURNING COPROC-STATUS
*>    CALL "coproc_mail_send" USING BY VALUE COPROC-CLIENT
*>         BY REFERENCE WS-FROM WS-TO WS-SUBJECT WS-BODY COPROC-RESULT
*>         RETURNING COPROC-STATUS
*>    CALL "coproc_copy_text" USING BY VALUE COPROC-RESULT
*>         BY REFERENCE COPROC-ID BY VALUE LENGTH OF COPROC-ID
*>         RETURNING COPROC-TEXT-LEN
*>    CALL "coproc_free" USING BY VALUE COPROC-RESULT
*>
*> coproc_status (never renumbered)
78 COPROC-OK                     VALUE 0.
78 COPROC-E-BAD-REQUEST          VALUE 1.
78 COPROC-E-NOT-FOUND            VALUE 2.
78 COPROC-E-TIMEOUT              VALUE 3.
78 COPROC-E-UNAVAILABLE          VALUE 4.
78 COPROC-E-PERMISSION-DENIED    VALUE 5.
78 COPROC-E-TOO-LARGE            VALUE 6.
78 COPROC-E-UPSTREAM             VALUE 7.
78 COPROC-E-INTERNAL             VALUE 8.
78 COPROC-E-RATE-LIMITED         VALUE 9.
78 COPROC-E-PROTOCOL-MISMATCH    VALUE 10.
78 COPROC-E-CANCELLED            VALUE 11.
78 COPROC-E-CONFLICT             VALUE 12.
78 COPROC-E-MISUSE               VALUE 100.
78 COPROC-E-NOT-RUNNING          VALUE 101.
78 COPROC-E-SERVICE-NOT-RUNNING  VALUE 102.
78 COPROC-E-CONNECTION-LOST      VALUE 103.
78 COPROC-E-PROTOCOL             VALUE 104.
78 COPROC-E-JSON                 VALUE 105.
78 COPROC-E-NOMEM                VALUE 106.
78 COPROC-E-IO                   VALUE 107.
*> options of coproc_client_set_str / coproc_client_set_int
78 COPROC-OPT-ENDPOINT           VALUE 1.
78 COPROC-OPT-CONTROL-ENDPOINT   VALUE 2.
78 COPROC-OPT-CLIENT-NAME        VALUE 3.
78 COPROC-OPT-CONNECT-TIMEOUT-MS VALUE 101.
78 COPROC-OPT-CALL-TIMEOUT-MS    VALUE 102.
78 COPROC-OPT-RETRIES            VALUE 103.
78 COPROC-OPT-AUTO-LAUNCH        VALUE 104.
*> the client handle, the status of the last call, a returned string
01 COPROC-CLIENT      USAGE POINTER.
01 COPROC-STATUS      PIC S9(9) COMP-5.
01 COPROC-RESULT      USAGE POINTER.
01 COPROC-ERRMSG-PTR  USAGE POINTER.
*> size_t results (coproc_copy_text): 8 bytes
01 COPROC-TEXT-LEN    PIC 9(18) COMP-5.
*> copies of returned strings
01 COPROC-ID          PIC X(64).
01 COPROC-ERRMSG      PIC X(512).
