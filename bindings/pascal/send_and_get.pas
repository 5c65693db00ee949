{ Sends a mail and does an HTTP GET through the co-process, with the coproc
  unit.

    fpc -Fu. send_and_get.pas && ./send_and_get FROM TO URL

  Exit code 0 when the mail was queued and the URL answered, 1 with the
  reason (status name and message) otherwise. }
program send_and_get;

{$mode objfpc}{$H+}

uses
  SysUtils, coproc;

var
  Client: PCoprocClient = nil;
  Id: string;
  Page: TCoprocHttpResult;
begin
  if ParamCount <> 3 then
  begin
    WriteLn(StdErr, 'usage: send_and_get FROM TO URL');
    Halt(2);
  end;
  try
    CoprocCheck(coproc_client_new(@Client), nil);
    CoprocCheck(coproc_client_set_str(Client, COPROC_OPT_CLIENT_NAME, 'free pascal'), Client);
    try
      Id := CoprocSendMail(Client, ParamStr(1), ParamStr(2), 'Hello from Free Pascal',
        'Sent through coproc by a Free Pascal program.');
      WriteLn('mail queued: ', Id);
      Page := CoprocHttpGet(Client, ParamStr(3));
      WriteLn('GET ', Page.Url, ' -> ', Page.Status, ', ', Length(Page.Body), ' bytes, ',
        Page.ContentType);
      WriteLn(Page.Body);
    finally
      coproc_client_close(Client);
    end;
  except
    on E: ECoprocError do
    begin
      WriteLn('coproc failed (status ', E.Status, '): ', E.Message);  { E.Message: 'name: detail' }
      Halt(1);
    end;
  end;
end.
