>>SOURCE FORMAT FREE
*> libcoproc asynchronous calls from GnuCOBOL: fire five HTTP requests
*> without waiting, go on with other work, then collect the answers in the
*> order they complete.
*>   cobc -x -free -fstatic-call coproc_async.cob -lcoproc
*>   COPROC_EXAMPLE_URL=https://example.com/ ./coproc_async
*> Pending calls are USAGE POINTER items like the client; the table of them
*> (OCCURS) is the array coproc_wait_any takes, and a collected slot is set
*> to NULL so the next wait skips it. size_t is PIC 9(18) COMP-5, long
*> PIC S9(18) COMP-5 (64-bit Linux).
IDENTIFICATION DIVISION.
PROGRAM-ID. COPROC-ASYNC.
DATA DIVISION.
WORKING-STORAGE SECTION.
01 WS-CLIENT    USAGE POINTER.
01 WS-PENDINGS.
   05 WS-PENDING USAGE POINTER OCCURS 5.
01 WS-COUNT     PIC 9(18) COMP-5 VALUE 5.
01 WS-INDEX     PIC 9(18) COMP-5.
01 WS-TIMEOUT   PIC S9(18) COMP-5 VALUE 30000.
01 WS-RESULT    USAGE POINTER.
01 WS-ERRMSG    USAGE POINTER.
01 WS-STATUS    PIC S9(9) COMP-5.
01 WS-I         PIC 9(4) COMP-5.
01 WS-SLOT      PIC 9.
01 WS-LEFT      PIC 9(4) COMP-5.
01 WS-URL       PIC X(200).
01 WS-METHOD    PIC X(16).
01 WS-PARAMS    PIC X(300).
01 WS-TEXT      PIC X(60).
01 WS-LEN       PIC 9(18) COMP-5.
PROCEDURE DIVISION.
    ACCEPT WS-URL FROM ENVIRONMENT "COPROC_EXAMPLE_URL"
    IF WS-URL = SPACES
        MOVE "https://example.com/" TO WS-URL
    END-IF
    CALL "coproc_client_new" USING BY REFERENCE WS-CLIENT RETURNING WS-STATUS
    IF WS-STATUS NOT = 0
        DISPLAY "coproc_client_new failed: " WS-STATUS
        STOP RUN RETURNING 1
    END-IF

    STRING "http.request" X"00" DELIMITED BY SIZE INTO WS-METHOD
    STRING '{"url": "' DELIMITED BY SIZE
           WS-URL DELIMITED BY SPACE
           '"}' X"00" DELIMITED BY SIZE INTO WS-PARAMS
    PERFORM VARYING WS-I FROM 1 BY 1 UNTIL WS-I > 5
        CALL "coproc_call_json_async" USING BY VALUE WS-CLIENT
                                            BY REFERENCE WS-METHOD
                                            BY REFERENCE WS-PARAMS
                                            BY REFERENCE WS-PENDING(WS-I)
                                      RETURNING WS-STATUS
        IF WS-STATUS NOT = 0
            PERFORM SHOW-ERROR
            STOP RUN RETURNING 1
        END-IF
    END-PERFORM
    DISPLAY "5 requests sent; the program goes on while they run"

    MOVE 5 TO WS-LEFT
    PERFORM UNTIL WS-LEFT = 0
        CALL "coproc_wait_any" USING BY REFERENCE WS-PENDINGS
                                     BY VALUE WS-COUNT
                                     BY VALUE WS-TIMEOUT
                                     BY REFERENCE WS-INDEX
                               RETURNING WS-STATUS
        IF WS-STATUS NOT = 0
            PERFORM SHOW-ERROR
            STOP RUN RETURNING 1
        END-IF
        COMPUTE WS-I = WS-INDEX + 1
        MOVE WS-I TO WS-SLOT
        CALL "coproc_pending_result_json" USING BY VALUE WS-PENDING(WS-I)
                                                BY REFERENCE WS-RESULT
                                          RETURNING WS-STATUS
        IF WS-STATUS = 0
            CALL "coproc_copy_text" USING BY VALUE WS-RESULT
                                          BY REFERENCE WS-TEXT
                                          BY VALUE LENGTH OF WS-TEXT
                                    RETURNING WS-LEN
            DISPLAY "request " WS-SLOT " done: " WS-TEXT
            CALL "coproc_free" USING BY VALUE WS-RESULT
        ELSE
            DISPLAY "request " WS-SLOT " failed:"
            PERFORM SHOW-ERROR
        END-IF
        CALL "coproc_pending_free" USING BY VALUE WS-PENDING(WS-I)
        SET WS-PENDING(WS-I) TO NULL
        SUBTRACT 1 FROM WS-LEFT
    END-PERFORM
    CALL "coproc_client_close" USING BY VALUE WS-CLIENT
    STOP RUN RETURNING 0.

SHOW-ERROR.
    CALL "coproc_errmsg" USING BY VALUE WS-CLIENT RETURNING WS-ERRMSG
    CALL "coproc_copy_text" USING BY VALUE WS-ERRMSG
                                  BY REFERENCE WS-TEXT
                                  BY VALUE LENGTH OF WS-TEXT
                            RETURNING WS-LEN
    DISPLAY "  status " WS-STATUS ": " WS-TEXT.
