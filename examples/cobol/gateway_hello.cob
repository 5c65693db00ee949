>>SOURCE FORMAT FREE
*> A gateway worker in GnuCOBOL: serves GET /hello for the co-process's
*> HTTP gateway (docs/gateway.md), one request at a time, in a plain loop.
*>   cobc -x -free -fstatic-call gateway_hello.cob -lcoproc
*>   ./gateway_hello
*> $COPROC_GATEWAY_QUEUE names the queue (unset: the default queue);
*> $COPROC_GATEWAY_MAX ends the program after that many requests (unset:
*> serve until stopped). The request's fields come from accessor functions
*> as C strings, copied into blank-padded fields with coproc_copy_text.
*> long is PIC S9(18) COMP-5 and int PIC S9(9) COMP-5 (64-bit Linux).
IDENTIFICATION DIVISION.
PROGRAM-ID. GATEWAY-HELLO.
DATA DIVISION.
WORKING-STORAGE SECTION.
01 WS-CLIENT      USAGE POINTER.
01 WS-REQUEST     USAGE POINTER.
01 WS-PTR         USAGE POINTER.
01 WS-ERRMSG      USAGE POINTER.
01 WS-STATUS      PIC S9(9) COMP-5.
01 WS-HTTP-STATUS PIC S9(9) COMP-5.
01 WS-TIMEOUT     PIC S9(18) COMP-5 VALUE 30000.
01 WS-LEN         PIC 9(18) COMP-5.
01 WS-BODY-LEN    PIC 9(18) COMP-5.
01 WS-BODY-PTR    PIC 9(4) COMP-5.
01 WS-QUEUE-TEXT  PIC X(64).
01 WS-QUEUE       PIC X(65).
01 WS-MAX-TEXT    PIC X(9).
01 WS-MAX         PIC 9(9) VALUE 0.
01 WS-SERVED      PIC 9(9) VALUE 0.
01 WS-METHOD      PIC X(16).
01 WS-PATH        PIC X(256).
01 WS-QUERY       PIC X(256).
01 WS-NAME        PIC X(64).
01 WS-HEADERS     PIC X(64).
01 WS-BODY        PIC X(256).
01 WS-TEXT        PIC X(200).
PROCEDURE DIVISION.
    MOVE SPACES TO WS-QUEUE-TEXT WS-MAX-TEXT
    ACCEPT WS-QUEUE-TEXT FROM ENVIRONMENT "COPROC_GATEWAY_QUEUE"
    ACCEPT WS-MAX-TEXT FROM ENVIRONMENT "COPROC_GATEWAY_MAX"
    MOVE LOW-VALUES TO WS-QUEUE
    IF WS-QUEUE-TEXT NOT = SPACES
        STRING WS-QUEUE-TEXT DELIMITED BY SPACE X"00" DELIMITED BY SIZE INTO WS-QUEUE
    END-IF
    IF WS-MAX-TEXT NOT = SPACES
        COMPUTE WS-MAX = FUNCTION NUMVAL(WS-MAX-TEXT)
    END-IF
    STRING "Content-Type: text/plain" X"00" DELIMITED BY SIZE INTO WS-HEADERS

    CALL "coproc_client_new" USING BY REFERENCE WS-CLIENT RETURNING WS-STATUS
    IF WS-STATUS NOT = 0
        DISPLAY "coproc_client_new failed: " WS-STATUS
        STOP RUN RETURNING 1
    END-IF

    PERFORM UNTIL WS-MAX > 0 AND WS-SERVED >= WS-MAX
        CALL "coproc_gateway_next" USING BY VALUE WS-CLIENT
                                         BY REFERENCE WS-QUEUE
                                         BY VALUE WS-TIMEOUT
                                         BY REFERENCE WS-REQUEST
                                   RETURNING WS-STATUS
        EVALUATE WS-STATUS
            WHEN 0
                PERFORM SERVE-ONE
            WHEN 3
                CONTINUE
            WHEN OTHER
                PERFORM SHOW-ERROR
                CALL "coproc_client_close" USING BY VALUE WS-CLIENT
                STOP RUN RETURNING 1
        END-EVALUATE
    END-PERFORM
    CALL "coproc_client_close" USING BY VALUE WS-CLIENT
    STOP RUN RETURNING 0.

SERVE-ONE.
    CALL "coproc_gateway_request_method" USING BY VALUE WS-REQUEST RETURNING WS-PTR
    CALL "coproc_copy_text" USING BY VALUE WS-PTR BY REFERENCE WS-METHOD
                                  BY VALUE LENGTH OF WS-METHOD RETURNING WS-LEN
    CALL "coproc_gateway_request_path" USING BY VALUE WS-REQUEST RETURNING WS-PTR
    CALL "coproc_copy_text" USING BY VALUE WS-PTR BY REFERENCE WS-PATH
                                  BY VALUE LENGTH OF WS-PATH RETURNING WS-LEN
    CALL "coproc_gateway_request_query" USING BY VALUE WS-REQUEST RETURNING WS-PTR
    CALL "coproc_copy_text" USING BY VALUE WS-PTR BY REFERENCE WS-QUERY
                                  BY VALUE LENGTH OF WS-QUERY RETURNING WS-LEN
    MOVE SPACES TO WS-BODY
    MOVE 1 TO WS-BODY-PTR
    IF WS-PATH = "/hello" AND WS-METHOD = "GET"
        MOVE "world" TO WS-NAME
        IF WS-QUERY(1:5) = "name="
            MOVE SPACES TO WS-NAME
            UNSTRING WS-QUERY(6:) DELIMITED BY "&" OR SPACE INTO WS-NAME
        END-IF
        STRING "Hello, " DELIMITED BY SIZE
               WS-NAME DELIMITED BY SPACE
               "! (GnuCOBOL)" X"0A" DELIMITED BY SIZE
          INTO WS-BODY WITH POINTER WS-BODY-PTR
        MOVE 200 TO WS-HTTP-STATUS
    ELSE
        STRING "not here" X"0A" DELIMITED BY SIZE INTO WS-BODY WITH POINTER WS-BODY-PTR
        MOVE 404 TO WS-HTTP-STATUS
    END-IF
    COMPUTE WS-BODY-LEN = WS-BODY-PTR - 1
    CALL "coproc_gateway_reply" USING BY VALUE WS-CLIENT
                                      BY VALUE WS-REQUEST
                                      BY VALUE WS-HTTP-STATUS
                                      BY REFERENCE WS-HEADERS
                                      BY REFERENCE WS-BODY
                                      BY VALUE WS-BODY-LEN
                                RETURNING WS-STATUS
    IF WS-STATUS NOT = 0
        PERFORM SHOW-ERROR
    END-IF
    CALL "coproc_gateway_request_free" USING BY VALUE WS-REQUEST
    ADD 1 TO WS-SERVED.

SHOW-ERROR.
    CALL "coproc_errmsg" USING BY VALUE WS-CLIENT RETURNING WS-ERRMSG
    CALL "coproc_copy_text" USING BY VALUE WS-ERRMSG BY REFERENCE WS-TEXT
                                  BY VALUE LENGTH OF WS-TEXT RETURNING WS-LEN
    DISPLAY "gateway worker: status " WS-STATUS ": " WS-TEXT.
