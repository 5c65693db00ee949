! coproc for Fortran: the C ABI of libcoproc (coproc/coproc.h, mail.h)
! through ISO_C_BINDING, plus wrappers that take and give ordinary
! blank-padded Fortran strings.
!
!   use coproc
!   type(c_ptr) :: client
!   character(len=64) :: id
!   integer :: status
!   status = coproc_client_new(client)
!   status = coproc_send_mail(client, 'app@example.org', 'ops@example.org', &
!                             'Nightly run', 'All steps done.', id)
!   if (status /= COPROC_OK) print *, trim(coproc_error_text(client))
!   call coproc_client_close(client)
!
! Build: gfortran -I<dir of coproc.mod> prog.f90 coproc.f90 -lcoproc
! The co-process is found through $COPROC_ENDPOINT, $COPROC_RUNTIME_DIR or
! /run/coproc/coproc.sock. Every C function is documented in coproc.h and
! docs/c-api.md: strings passed in are copied; strings the library returns
! are freed with coproc_free (the wrappers here do it); handles are
! thread-safe.
module coproc
  use, intrinsic :: iso_c_binding
  implicit none
  private

  ! coproc_status: never renumbered
  integer(c_int), parameter, public :: COPROC_OK = 0, COPROC_E_BAD_REQUEST = 1, &
      COPROC_E_NOT_FOUND = 2, COPROC_E_TIMEOUT = 3, COPROC_E_UNAVAILABLE = 4, &
      COPROC_E_PERMISSION_DENIED = 5, COPROC_E_TOO_LARGE = 6, COPROC_E_UPSTREAM = 7, &
      COPROC_E_INTERNAL = 8, COPROC_E_RATE_LIMITED = 9, COPROC_E_PROTOCOL_MISMATCH = 10, &
      COPROC_E_CANCELLED = 11, COPROC_E_CONFLICT = 12, COPROC_E_MISUSE = 100, &
      COPROC_E_NOT_RUNNING = 101, COPROC_E_SERVICE_NOT_RUNNING = 102, &
      COPROC_E_CONNECTION_LOST = 103, COPROC_E_PROTOCOL = 104, COPROC_E_JSON = 105, &
      COPROC_E_NOMEM = 106, COPROC_E_IO = 107

  ! options of coproc_client_set_str / coproc_client_set_int
  integer(c_int), parameter, public :: COPROC_OPT_ENDPOINT = 1, &
      COPROC_OPT_CONTROL_ENDPOINT = 2, COPROC_OPT_CLIENT_NAME = 3, &
      COPROC_OPT_CONNECT_TIMEOUT_MS = 101, COPROC_OPT_CALL_TIMEOUT_MS = 102, &
      COPROC_OPT_RETRIES = 103, COPROC_OPT_AUTO_LAUNCH = 104

  public :: coproc_client_new, coproc_client_close, coproc_free, coproc_errmsg, &
      coproc_status_str, coproc_copy_text
  public :: coproc_set_option, coproc_send_mail, coproc_call_json_text, coproc_error_text, &
      coproc_status_name, coproc_cstr

  interface
    ! coproc_status coproc_client_new(coproc_client** out)
    integer(c_int) function coproc_client_new(client) bind(C, name='coproc_client_new')
      import :: c_int, c_ptr
      type(c_ptr), intent(out) :: client
    end function
    ! void coproc_client_close(coproc_client*)
    subroutine coproc_client_close(client) bind(C, name='coproc_client_close')
      import :: c_ptr
      type(c_ptr), value :: client
    end subroutine
    integer(c_int) function c_set_str(client, option, value) bind(C, name='coproc_client_set_str')
      import :: c_int, c_ptr, c_char
      type(c_ptr), value :: client
      integer(c_int), value :: option
      character(kind=c_char), dimension(*), intent(in) :: value
    end function
    integer(c_int) function c_set_int(client, option, value) bind(C, name='coproc_client_set_int')
      import :: c_int, c_ptr, c_long_long
      type(c_ptr), value :: client
      integer(c_int), value :: option
      integer(c_long_long), value :: value
    end function
    integer(c_int) function c_mail_send(client, from, to, subject, body, id) &
        bind(C, name='coproc_mail_send')
      import :: c_int, c_ptr, c_char
      type(c_ptr), value :: client
      character(kind=c_char), dimension(*), intent(in) :: from, to, subject, body
      type(c_ptr), intent(out) :: id
    end function
    integer(c_int) function c_call_json(client, method, params, result) &
        bind(C, name='coproc_call_json')
      import :: c_int, c_ptr, c_char
      type(c_ptr), value :: client
      character(kind=c_char), dimension(*), intent(in) :: method, params
      type(c_ptr), intent(out) :: result
    end function
    ! void coproc_free(void*)
    subroutine coproc_free(memory) bind(C, name='coproc_free')
      import :: c_ptr
      type(c_ptr), value :: memory
    end subroutine
    ! const char* coproc_errmsg(const coproc_client*)
    type(c_ptr) function coproc_errmsg(client) bind(C, name='coproc_errmsg')
      import :: c_ptr
      type(c_ptr), value :: client
    end function
    ! const char* coproc_status_str(coproc_status)
    type(c_ptr) function coproc_status_str(status) bind(C, name='coproc_status_str')
      import :: c_ptr, c_int
      integer(c_int), value :: status
    end function
    ! size_t coproc_copy_text(const char* text, char* buffer, size_t buffer_len)
    integer(c_size_t) function coproc_copy_text(text, buffer, buffer_len) &
        bind(C, name='coproc_copy_text')
      import :: c_ptr, c_char, c_size_t
      type(c_ptr), value :: text
      character(kind=c_char), dimension(*), intent(out) :: buffer
      integer(c_size_t), value :: buffer_len
    end function
  end interface

contains

  !> A Fortran string as a C string: trailing blanks removed, NUL appended.
  function coproc_cstr(text) result(c)
    character(len=*), intent(in) :: text
    character(kind=c_char, len=len_trim(text) + 1) :: c
    c = trim(text) // c_null_char
  end function

  !> Copies a C string into `out` (blank-padded, cut when longer).
  subroutine copy_out(text, out)
    type(c_ptr), intent(in) :: text
    character(len=*), intent(out) :: out
    integer(c_size_t) :: full
    full = coproc_copy_text(text, out, int(len(out), c_size_t))
  end subroutine

  !> coproc_client_set_str or _int by option number; returns the status.
  integer function coproc_set_option(client, option, text, number) result(status)
    type(c_ptr), intent(in) :: client
    integer(c_int), intent(in) :: option
    character(len=*), intent(in), optional :: text
    integer, intent(in), optional :: number
    if (present(text)) then
      status = c_set_str(client, option, coproc_cstr(text))
    else
      status = c_set_int(client, option, int(number, c_long_long))
    end if
  end function

  !> Queues a plain-text mail; on COPROC_OK `id` receives the mail's id.
  !> `to` may list several addresses separated by commas.
  integer function coproc_send_mail(client, from, to, subject, body, id) result(status)
    type(c_ptr), intent(in) :: client
    character(len=*), intent(in) :: from, to, subject, body
    character(len=*), intent(out) :: id
    type(c_ptr) :: out
    status = c_mail_send(client, coproc_cstr(from), coproc_cstr(to), coproc_cstr(subject), &
                         coproc_cstr(body), out)
    id = ' '
    if (status == COPROC_OK) then
      call copy_out(out, id)
      call coproc_free(out)
    end if
  end function

  !> The JSON bridge: any method with JSON params; `result` receives the
  !> JSON result (cut to its length).
  integer function coproc_call_json_text(client, method, params, result) result(status)
    type(c_ptr), intent(in) :: client
    character(len=*), intent(in) :: method, params
    character(len=*), intent(out) :: result
    type(c_ptr) :: out
    status = c_call_json(client, coproc_cstr(method), coproc_cstr(params), out)
    result = ' '
    if (status == COPROC_OK) then
      call copy_out(out, result)
      call coproc_free(out)
    end if
  end function

  !> The last failure on `client` in this thread ("name: message").
  function coproc_error_text(client) result(text)
    type(c_ptr), intent(in) :: client
    character(len=1024) :: text
    call copy_out(coproc_errmsg(client), text)
  end function

  !> The stable name of a status ("ok", "bad_request", "not_running", ...).
  function coproc_status_name(status) result(name)
    integer, intent(in) :: status
    character(len=32) :: name
    call copy_out(coproc_status_str(int(status, c_int)), name)
  end function

end module coproc
