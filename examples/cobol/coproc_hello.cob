>>SOURCE FORMAT FREE
*> libcoproc from GnuCOBOL: the JSON bridge makes any co-process method
*> callable with plain strings.
*>   cobc -x -free -fstatic-call coproc_hello.cob -lcoproc && ./coproc_hello
*> The endpoint comes from $COPROC_ENDPOINT (read by libcoproc itself).
IDENTIFICATION DIVISION.
PROGRAM-ID. COPROC-HELLO.
DATA DIVISION.
WORKING-STORAGE SECTION.
01 WS-CLIENT    USAGE POINTER.
01 WS-RESULT    USAGE POINTER.
01 WS-ERRMSG    USAGE POINTER.
01 WS-STATUS    PIC S9(9) COMP-5.
01 WS-LEN       PIC S9(9) COMP-5.
01 WS-METHOD    PIC X(32).
01 WS-PARAMS    PIC X(256).
LINKAGE SECTION.
01 LS-TEXT      PIC X(65536).
PROCEDURE DIVISION.
    CALL "coproc_client_new" USING BY REFERENCE WS-CLIENT RETURNING WS-STATUS
    IF WS-STATUS NOT = 0
        DISPLAY "coproc_client_new failed: " WS-STATUS
        STOP RUN RETURNING 1
    END-IF

    STRING "sys.hello" X"00" DELIMITED BY SIZE INTO WS-METHOD
    STRING '{"protocol": 1, "client": "cobol"}' X"00" DELIMITED BY SIZE INTO WS-PARAMS
    CALL "coproc_call_json" USING BY VALUE WS-CLIENT
                                  BY REFERENCE WS-METHOD
                                  BY REFERENCE WS-PARAMS
                                  BY REFERENCE WS-RESULT
                            RETURNING WS-STATUS
    IF WS-STATUS NOT = 0
        CALL "coproc_errmsg" USING BY VALUE WS-CLIENT RETURNING WS-ERRMSG
        SET ADDRESS OF LS-TEXT TO WS-ERRMSG
        PERFORM MEASURE-TEXT
        DISPLAY "coproc_call_json failed, status " WS-STATUS ": " LS-TEXT(1:WS-LEN)
        CALL "coproc_client_close" USING BY VALUE WS-CLIENT
        STOP RUN RETURNING 1
    END-IF

    SET ADDRESS OF LS-TEXT TO WS-RESULT
    PERFORM MEASURE-TEXT
    DISPLAY "sys.hello -> " LS-TEXT(1:WS-LEN)
    CALL "coproc_free" USING BY VALUE WS-RESULT
    CALL "coproc_client_close" USING BY VALUE WS-CLIENT
    STOP RUN RETURNING 0.

*> Length of the NUL-terminated C string at LS-TEXT.
MEASURE-TEXT.
    MOVE 0 TO WS-LEN
    INSPECT LS-TEXT TALLYING WS-LEN FOR CHARACTERS BEFORE INITIAL X"00".
