{ coproc for Free Pascal (and Delphi-style code): the C ABI of libcoproc
  (coproc/coproc.h, coproc/mail.h, coproc/http.h) declared for Pascal, plus
  a few helpers that turn the C conventions (library-allocated PChar
  outputs, status codes) into Pascal strings and exceptions.

    uses coproc;
    var C: PCoprocClient;
    begin
      CoprocCheck(coproc_client_new(@C), nil);
      WriteLn(CoprocSendMail(C, 'app@example.org', 'ops@example.org', 'Hi', 'Hello'));
      WriteLn(CoprocHttpGet(C, 'https://example.org/').Body);
      coproc_client_close(C);
    end.

  Build: fpc -Fu/usr/share/coproc/bindings/pascal yourprog.pas (links -lcoproc;
  on Windows it loads libcoproc.dll). The co-process is found through
  $COPROC_ENDPOINT, $COPROC_RUNTIME_DIR or /run/coproc/coproc.sock.
  Every function is documented in coproc.h and docs/c-api.md; the rules are
  the same: strings you pass are copied, strings the library returns are
  freed with coproc_free (the helpers here do it), handles are thread-safe. }
unit coproc;

{$mode objfpc}{$H+}

interface

uses
  SysUtils;

const
{$ifdef windows}
  CoprocLib = 'libcoproc.dll';
{$else}
  CoprocLib = 'coproc';
{$endif}

type
  TCoprocStatus = LongInt;
  PCoprocClient = type Pointer;        { coproc_client* }
  PPCoprocClient = ^PCoprocClient;
  PCoprocMail = type Pointer;          { coproc_mail* }
  PPCoprocMail = ^PCoprocMail;
  PCoprocHttpRequest = type Pointer;   { coproc_http_request* }
  PPCoprocHttpRequest = ^PCoprocHttpRequest;
  PCoprocHttpResponse = type Pointer;  { coproc_http_response* }
  PPCoprocHttpResponse = ^PCoprocHttpResponse;

const
  { coproc_status: never renumbered }
  COPROC_OK = 0;
  COPROC_E_BAD_REQUEST = 1;
  COPROC_E_NOT_FOUND = 2;
  COPROC_E_TIMEOUT = 3;
  COPROC_E_UNAVAILABLE = 4;
  COPROC_E_PERMISSION_DENIED = 5;
  COPROC_E_TOO_LARGE = 6;
  COPROC_E_UPSTREAM = 7;
  COPROC_E_INTERNAL = 8;
  COPROC_E_RATE_LIMITED = 9;
  COPROC_E_PROTOCOL_MISMATCH = 10;
  COPROC_E_CANCELLED = 11;
  COPROC_E_CONFLICT = 12;
  COPROC_E_MISUSE = 100;
  COPROC_E_NOT_RUNNING = 101;
  COPROC_E_SERVICE_NOT_RUNNING = 102;
  COPROC_E_CONNECTION_LOST = 103;
  COPROC_E_PROTOCOL = 104;
  COPROC_E_JSON = 105;
  COPROC_E_NOMEM = 106;
  COPROC_E_IO = 107;

  { coproc_client_set_str / coproc_client_set_int options }
  COPROC_OPT_ENDPOINT = 1;
  COPROC_OPT_CONTROL_ENDPOINT = 2;
  COPROC_OPT_CLIENT_NAME = 3;
  COPROC_OPT_CONNECT_TIMEOUT_MS = 101;
  COPROC_OPT_CALL_TIMEOUT_MS = 102;
  COPROC_OPT_RETRIES = 103;
  COPROC_OPT_AUTO_LAUNCH = 104;

  { coproc_mail_set fields }
  COPROC_MAIL_FROM = 1;
  COPROC_MAIL_SUBJECT = 2;
  COPROC_MAIL_TEXT = 3;
  COPROC_MAIL_HTML = 4;
  COPROC_MAIL_REPLY_TO = 5;
  COPROC_MAIL_IDEMPOTENCY_KEY = 6;

{ coproc.h }
function coproc_version: PChar; cdecl; external CoprocLib;
function coproc_status_str(Status: TCoprocStatus): PChar; cdecl; external CoprocLib;
function coproc_client_new(Out_: PPCoprocClient): TCoprocStatus; cdecl; external CoprocLib;
function coproc_client_set_str(Client: PCoprocClient; Option: LongInt; Value: PChar): TCoprocStatus; cdecl; external CoprocLib;
function coproc_client_set_int(Client: PCoprocClient; Option: LongInt; Value: Int64): TCoprocStatus; cdecl; external CoprocLib;
function coproc_client_connect(Client: PCoprocClient): TCoprocStatus; cdecl; external CoprocLib;
procedure coproc_client_close(Client: PCoprocClient); cdecl; external CoprocLib;
function coproc_call(Client: PCoprocClient; Method: PChar; Params: Pointer; ParamsLen: SizeUInt;
  Result_: PPointer; ResultLen: PSizeUInt): TCoprocStatus; cdecl; external CoprocLib;
function coproc_call_json(Client: PCoprocClient; Method, ParamsJson: PChar;
  ResultJson: PPChar): TCoprocStatus; cdecl; external CoprocLib;
function coproc_ping(Client: PCoprocClient; RttUs: PInt64): TCoprocStatus; cdecl; external CoprocLib;
procedure coproc_free(Memory: Pointer); cdecl; external CoprocLib;
function coproc_errmsg(Client: PCoprocClient): PChar; cdecl; external CoprocLib;
function coproc_copy_text(Text: PChar; Buffer: PChar; BufferLen: SizeUInt): SizeUInt; cdecl; external CoprocLib;

{ coproc/mail.h }
function coproc_mail_send(Client: PCoprocClient; From, To_, Subject, TextBody: PChar;
  IdOut: PPChar): TCoprocStatus; cdecl; external CoprocLib;
function coproc_mail_new(Out_: PPCoprocMail): TCoprocStatus; cdecl; external CoprocLib;
function coproc_mail_set(Mail: PCoprocMail; Field: LongInt; Value: PChar): TCoprocStatus; cdecl; external CoprocLib;
function coproc_mail_add_to(Mail: PCoprocMail; Address: PChar): TCoprocStatus; cdecl; external CoprocLib;
function coproc_mail_add_cc(Mail: PCoprocMail; Address: PChar): TCoprocStatus; cdecl; external CoprocLib;
function coproc_mail_add_bcc(Mail: PCoprocMail; Address: PChar): TCoprocStatus; cdecl; external CoprocLib;
function coproc_mail_set_html(Mail: PCoprocMail; Html: PChar): TCoprocStatus; cdecl; external CoprocLib;
function coproc_mail_add_header(Mail: PCoprocMail; Name, Value: PChar): TCoprocStatus; cdecl; external CoprocLib;
function coproc_mail_attach_file(Mail: PCoprocMail; Path, ContentType: PChar): TCoprocStatus; cdecl; external CoprocLib;
function coproc_mail_attach_bytes(Mail: PCoprocMail; FileName: PChar; Data: Pointer; Len: SizeUInt;
  ContentType: PChar): TCoprocStatus; cdecl; external CoprocLib;
function coproc_mail_submit(Client: PCoprocClient; Mail: PCoprocMail; IdOut: PPChar): TCoprocStatus; cdecl; external CoprocLib;
procedure coproc_mail_free(Mail: PCoprocMail); cdecl; external CoprocLib;
function coproc_mail_status(Client: PCoprocClient; Id: PChar; JsonOut: PPChar): TCoprocStatus; cdecl; external CoprocLib;
function coproc_mail_list(Client: PCoprocClient; State: PChar; Limit: LongInt; JsonOut: PPChar): TCoprocStatus; cdecl; external CoprocLib;

{ coproc/http.h }
function coproc_http_get(Client: PCoprocClient; Url: PChar; Out_: PPCoprocHttpResponse): TCoprocStatus; cdecl; external CoprocLib;
function coproc_http_request_new(Out_: PPCoprocHttpRequest; Method, Url: PChar): TCoprocStatus; cdecl; external CoprocLib;
function coproc_http_request_add_header(Request: PCoprocHttpRequest; Name, Value: PChar): TCoprocStatus; cdecl; external CoprocLib;
function coproc_http_request_set_body(Request: PCoprocHttpRequest; Data: Pointer; Len: SizeUInt): TCoprocStatus; cdecl; external CoprocLib;
function coproc_http_request_set_timeout_ms(Request: PCoprocHttpRequest; TimeoutMs: PtrInt): TCoprocStatus; cdecl; external CoprocLib;
function coproc_http_request_set_follow_redirects(Request: PCoprocHttpRequest; Follow: LongInt): TCoprocStatus; cdecl; external CoprocLib;
function coproc_http_request_set_verify_tls(Request: PCoprocHttpRequest; Verify: LongInt): TCoprocStatus; cdecl; external CoprocLib;
procedure coproc_http_request_free(Request: PCoprocHttpRequest); cdecl; external CoprocLib;
function coproc_http_perform(Client: PCoprocClient; Request: PCoprocHttpRequest;
  Out_: PPCoprocHttpResponse): TCoprocStatus; cdecl; external CoprocLib;
function coproc_http_response_status(Response: PCoprocHttpResponse): LongInt; cdecl; external CoprocLib;
function coproc_http_response_reason(Response: PCoprocHttpResponse): PChar; cdecl; external CoprocLib;
function coproc_http_response_header(Response: PCoprocHttpResponse; Name: PChar): PChar; cdecl; external CoprocLib;
function coproc_http_response_body(Response: PCoprocHttpResponse; Len: PSizeUInt): Pointer; cdecl; external CoprocLib;
function coproc_http_response_url(Response: PCoprocHttpResponse): PChar; cdecl; external CoprocLib;
procedure coproc_http_response_free(Response: PCoprocHttpResponse); cdecl; external CoprocLib;

{ Pascal helpers }

type
  { A failed call: Status is the coproc_status, StatusName its stable name
    ('bad_request', 'not_running', ...), Message says what happened. }
  ECoprocError = class(Exception)
  public
    Status: TCoprocStatus;
    StatusName: string;
  end;

  TCoprocHttpResult = record
    Status: LongInt;      { 200, 404, ... }
    ContentType: string;  { the Content-Type header, '' when absent }
    Body: RawByteString;  { the body bytes }
    Url: string;          { after redirects }
  end;

{ Raises ECoprocError unless Status is COPROC_OK; the message is
  coproc_errmsg(Client) (Client nil: the thread's last handle-less failure). }
procedure CoprocCheck(Status: TCoprocStatus; Client: PCoprocClient);

{ A string the library allocated, copied into a Pascal string and freed. }
function CoprocTakeString(P: PChar): string;

{ coproc_mail_send as a function: returns the mail's id, raises ECoprocError. }
function CoprocSendMail(Client: PCoprocClient; const From, To_, Subject, Body: string): string;

{ coproc_call_json: returns the JSON result, raises ECoprocError. }
function CoprocCallJson(Client: PCoprocClient; const Method, ParamsJson: string): string;

{ GET Url through the co-process; any HTTP status is a result, only a
  failure to get a response raises ECoprocError. }
function CoprocHttpGet(Client: PCoprocClient; const Url: string): TCoprocHttpResult;

implementation

procedure CoprocCheck(Status: TCoprocStatus; Client: PCoprocClient);
var
  E: ECoprocError;
begin
  if Status = COPROC_OK then
    Exit;
  E := ECoprocError.Create(StrPas(coproc_errmsg(Client)));
  E.Status := Status;
  E.StatusName := StrPas(coproc_status_str(Status));
  raise E;
end;

function CoprocTakeString(P: PChar): string;
begin
  Result := StrPas(P);
  coproc_free(P);
end;

function CoprocSendMail(Client: PCoprocClient; const From, To_, Subject, Body: string): string;
var
  Id: PChar = nil;
begin
  CoprocCheck(coproc_mail_send(Client, PChar(From), PChar(To_), PChar(Subject), PChar(Body), @Id),
    Client);
  Result := CoprocTakeString(Id);
end;

function CoprocCallJson(Client: PCoprocClient; const Method, ParamsJson: string): string;
var
  Json: PChar = nil;
begin
  CoprocCheck(coproc_call_json(Client, PChar(Method), PChar(ParamsJson), @Json), Client);
  Result := CoprocTakeString(Json);
end;

function CoprocHttpGet(Client: PCoprocClient; const Url: string): TCoprocHttpResult;
var
  Response: PCoprocHttpResponse = nil;
  Data: Pointer;
  Len: SizeUInt = 0;
begin
  CoprocCheck(coproc_http_get(Client, PChar(Url), @Response), Client);
  try
    Result.Status := coproc_http_response_status(Response);
    Result.ContentType := StrPas(coproc_http_response_header(Response, 'Content-Type'));
    Data := coproc_http_response_body(Response, @Len);
    SetLength(Result.Body, Len);
    if Len > 0 then
      Move(Data^, Result.Body[1], Len);
    Result.Url := StrPas(coproc_http_response_url(Response));
  finally
    coproc_http_response_free(Response);
  end;
end;

end.
